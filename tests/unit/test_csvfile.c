/*
 * test_csvfile.c - records and fields of a CSV file (csvfile.h).
 *
 * Expectations follow RFC 4180 and what pandas.read_csv (the oracle's reader)
 * makes of the same bytes: quoted fields with doubled quotes, CRLF line ends,
 * blank lines skipped, a UTF-8 BOM dropped, text after a closing quote kept.
 * Line numbers are 1-based physical lines where a record starts.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include "csvfile.h"
#include "sgtest.h"

/* One record as "f1|f2|...", its line, or "EOF" / "ERR:<message>". */
static const char *next(sg_csv *c, long *line)
{
    static char out[4096];
    char err[256];
    int rc = sg_csv_next(c, err, sizeof err);
    if (rc == 0)
        return "EOF";
    if (rc < 0) {
        snprintf(out, sizeof out, "ERR:%s", err);
        return out;
    }
    size_t o = 0;
    for (int i = 0; i < c->nfields; i++) {
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", i ? "|" : "", (int)c->f[i].len, c->f[i].p);
        if (o >= sizeof out)
            fail_msg("record too long for the test buffer");
    }
    if (line)
        *line = c->line;
    return out;
}

static void open_text(sg_csv *c, const char *name, const char *text)
{
    char err[256];
    const char *path = sgt_write_str(name, text);
    static char keep[8][512]; /* c->path must outlive the call */
    static int k;
    char *p = keep[k++ % 8];
    snprintf(p, 512, "%s", path);
    if (sg_csv_open(c, p, err, sizeof err))
        fail_msg("open: %s", err);
}

static void test_simple(void **state)
{
    (void)state;
    sg_csv c;
    long line = 0;
    open_text(&c, "simple.csv", "symbol,date,close\nA,2025-07-15,1.5\nB,2025-07-15,2\n");
    assert_string_equal(next(&c, &line), "symbol|date|close");
    assert_int_equal(line, 1);
    assert_string_equal(next(&c, &line), "A|2025-07-15|1.5");
    assert_int_equal(line, 2);
    assert_int_equal(c.nfields, 3);
    assert_string_equal(next(&c, &line), "B|2025-07-15|2");
    assert_int_equal(line, 3);
    assert_string_equal(next(&c, NULL), "EOF");
    assert_string_equal(next(&c, NULL), "EOF"); /* and stays there */
    sg_csv_close(&c);
}

static void test_empty_fields_and_no_final_newline(void **state)
{
    (void)state;
    sg_csv c;
    open_text(&c, "empty.csv", ",,\na,\n,b\nlast,line");
    assert_string_equal(next(&c, NULL), "||");
    assert_int_equal(c.nfields, 3);
    assert_string_equal(next(&c, NULL), "a|");
    assert_int_equal(c.nfields, 2);
    assert_string_equal(next(&c, NULL), "|b");
    assert_string_equal(next(&c, NULL), "last|line");
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_close(&c);
}

static void test_quotes(void **state)
{
    (void)state;
    sg_csv c;
    long line;
    open_text(&c, "quotes.csv",
              "\"x,y\",\"he said \"\"hi\"\"\",z\n"
              "\"\",\"\"\"\",plain\n"
              "\"ab\"cd,e\n"                /* text after the closing quote stays in the field */
              "a\"b,c\n"                    /* a quote inside an unquoted field is data */
              "\"multi\nline\",2\n"         /* a quoted newline; the record starts on line 5 */
              "after,3\n");
    assert_string_equal(next(&c, &line), "x,y|he said \"hi\"|z");
    assert_int_equal(c.f[1].len, 12);
    assert_string_equal(next(&c, &line), "|\"|plain");
    assert_int_equal(c.f[0].len, 0);
    assert_int_equal(c.f[1].len, 1);
    assert_string_equal(next(&c, &line), "abcd|e");
    assert_int_equal(line, 3);
    assert_string_equal(next(&c, &line), "a\"b|c");
    assert_string_equal(next(&c, &line), "multi\nline|2");
    assert_int_equal(line, 5);
    assert_string_equal(next(&c, &line), "after|3");
    assert_int_equal(line, 7); /* the quoted newline counted */
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_close(&c);
}

static void test_crlf_and_blank_lines(void **state)
{
    (void)state;
    sg_csv c;
    long line;
    open_text(&c, "crlf.csv", "a,b\r\n\r\n1,2\r\n\n\n\"q\r\nq\",3\r\nx\ry,4\r\n5,6");
    assert_string_equal(next(&c, &line), "a|b");
    assert_int_equal(line, 1);
    assert_string_equal(next(&c, &line), "1|2"); /* "\r\n" alone is a blank line */
    assert_int_equal(line, 3);
    assert_string_equal(next(&c, &line), "q\r\nq|3"); /* quoted CRLF is data */
    assert_int_equal(line, 6);
    assert_string_equal(next(&c, &line), "x\ry|4"); /* a lone CR inside a field is data */
    assert_int_equal(line, 8);
    assert_string_equal(next(&c, &line), "5|6");
    assert_int_equal(line, 9);
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_close(&c);
}

static void test_bom(void **state)
{
    (void)state;
    sg_csv c;
    open_text(&c, "bom.csv", "\xEF\xBB\xBFsymbol,date\nA,2025-01-02\n");
    assert_string_equal(next(&c, NULL), "symbol|date"); /* the BOM is not part of the name */
    assert_int_equal(c.f[0].len, 6);
    assert_string_equal(next(&c, NULL), "A|2025-01-02");
    sg_csv_close(&c);
    /* a BOM-only file has no records */
    open_text(&c, "bomonly.csv", "\xEF\xBB\xBF");
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_close(&c);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    sg_csv c;
    open_text(&c, "unterminated.csv", "a,b\n1,2\n\n3,\"open\nstill open\n");
    assert_string_equal(next(&c, NULL), "a|b");
    assert_string_equal(next(&c, NULL), "1|2");
    const char *r = next(&c, NULL);
    assert_contains(r, "ERR:");
    assert_contains(r, "unterminated.csv:4: unterminated quoted field"); /* where the record starts */
    sg_csv_close(&c);
}

static void test_empty_file_and_errors(void **state)
{
    (void)state;
    sg_csv c;
    char err[256];
    open_text(&c, "zero.csv", "");
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_close(&c);
    open_text(&c, "blank.csv", "\n\r\n\n");
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_close(&c);
    /* a missing file: "path: cannot open: <strerror>" */
    char path[600];
    snprintf(path, sizeof path, "%s/does-not-exist.csv", sgt_tmpdir());
    assert_int_equal(sg_csv_open(&c, path, err, sizeof err), -1);
    assert_contains(err, "does-not-exist.csv: cannot open: No such file or directory");
    /* a directory opens, but cannot be read */
    assert_int_equal(sg_csv_open(&c, sgt_tmpdir(), err, sizeof err), -1);
    assert_contains(err, ": cannot read: Is a directory");
}

/* A 10 MB line: one field of 10,000,000 bytes, then a normal record. */
static void test_ten_megabyte_line(void **state)
{
    (void)state;
    size_t big = 10 * 1000 * 1000;
    char *text = malloc(big + 64);
    assert_non_null(text);
    memcpy(text, "head,x\n", 7);
    memset(text + 7, 'y', big);
    memcpy(text + 7 + big, ",\"q\"\"\"\nA,1\n", 11);
    const char *path = sgt_write("big.csv", text, 7 + big + 11);
    char p[600], err[256];
    snprintf(p, sizeof p, "%s", path);
    sg_csv c;
    assert_int_equal(sg_csv_open(&c, p, err, sizeof err), 0);
    assert_int_equal(sg_csv_next(&c, err, sizeof err), 1);
    assert_int_equal(sg_csv_next(&c, err, sizeof err), 1);
    assert_int_equal(c.nfields, 2);
    assert_int_equal(c.f[0].len, big);
    assert_int_equal(c.f[0].p[0], 'y');
    assert_int_equal(c.f[0].p[big - 1], 'y');
    assert_int_equal(c.f[1].len, 2);
    assert_memory_equal(c.f[1].p, "q\"", 2);
    assert_int_equal(c.line, 2);
    assert_int_equal(sg_csv_next(&c, err, sizeof err), 1);
    assert_int_equal(c.line, 3);
    assert_int_equal(sg_csv_next(&c, err, sizeof err), 0);
    sg_csv_close(&c);
    free(text);
}

/* Many fields in one record (the field array grows). */
static void test_many_fields(void **state)
{
    (void)state;
    char *text = malloc(100000);
    size_t o = 0;
    for (int i = 0; i < 5000; i++)
        o += (size_t)sprintf(text + o, "%s%d", i ? "," : "", i);
    text[o++] = '\n';
    char p[600], err[256];
    snprintf(p, sizeof p, "%s", sgt_write("wide.csv", text, o));
    free(text);
    sg_csv c;
    assert_int_equal(sg_csv_open(&c, p, err, sizeof err), 0);
    assert_int_equal(sg_csv_next(&c, err, sizeof err), 1);
    assert_int_equal(c.nfields, 5000);
    assert_memory_equal(c.f[4999].p, "4999", 4);
    sg_csv_close(&c);
}

/* A file that is not a regular file (a pipe) is read into a growing buffer:
 * 3 MB through a pipe from a child process, past the 1 MB first buffer. */
static void test_pipe(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char line[64];
        FILE *f = fdopen(fds[1], "w");
        fputs("symbol,n\n", f);
        for (int i = 0; i < 200000; i++) {
            snprintf(line, sizeof line, "SYM%06d,%d\n", i, i);
            fputs(line, f);
        }
        fclose(f);
        _exit(0);
    }
    close(fds[1]);
    char path[64], err[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[0]);
    sg_csv c;
    assert_int_equal(sg_csv_open(&c, path, err, sizeof err), 0);
    assert_false(c.mapped);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    long n = 0;
    while (sg_csv_next(&c, err, sizeof err) == 1)
        n++;
    assert_int_equal(n, 200001);
    assert_int_equal(c.line, 200002); /* the line after the last record */
    assert_true(c.len > 3000000);
    sg_csv_close(&c);
}

/* sg_csv_header: columns by name (trimmed, any order, first match), the
 * required ones checked, and from then on no record wider than the header. */
static void test_header(void **state)
{
    (void)state;
    static const char *const names[] = {"symbol", "date", "close", "volume"};
    int idx[4];
    char err[256];
    sg_csv c;
    open_text(&c, "hdr.csv", "\n close ,x,symbol,date,close\nA,1,S,2025-07-15,9\nB,2\nC,1,S,D,9,extra\n");
    assert_int_equal(sg_csv_header(&c, names, 4, 3, idx, "symbol,date,close", err, sizeof err), 0);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 3);
    assert_int_equal(idx[2], 0); /* the first "close" */
    assert_int_equal(idx[3], -1); /* optional and absent */
    assert_int_equal(c.ncols, 5);
    assert_string_equal(next(&c, NULL), "A|1|S|2025-07-15|9");
    sg_field f = sg_csv_col(&c, idx[1]);
    assert_int_equal(f.len, 10);
    assert_int_equal(sg_csv_col(&c, -1).len, 0);
    assert_string_equal(next(&c, NULL), "B|2"); /* a short record is fine */
    assert_int_equal(sg_csv_col(&c, idx[0]).len, 0); /* its missing fields are empty */
    const char *r = next(&c, NULL);
    assert_contains(r, "hdr.csv:5: 6 fields, but the header has 5");
    sg_csv_close(&c);
    /* a required column missing: the message names it and what was expected */
    open_text(&c, "hdr2.csv", "symbol,close\n");
    assert_int_equal(sg_csv_header(&c, names, 4, 3, idx, "symbol,date,close", err, sizeof err), -1);
    assert_contains(err, "hdr2.csv:1: header lacks column 'date' (expected symbol,date,close)");
    sg_csv_close(&c);
    /* an empty file */
    open_text(&c, "hdr3.csv", "\n\n");
    assert_int_equal(sg_csv_header(&c, names, 4, 1, idx, "symbol,...", err, sizeof err), -1);
    assert_contains(err, "hdr3.csv: empty file: expected a header line (symbol,...)");
    sg_csv_close(&c);
    /* without a header, width is not checked */
    open_text(&c, "nohdr.csv", "a\nb,c,d\n");
    assert_string_equal(next(&c, NULL), "a");
    assert_string_equal(next(&c, NULL), "b|c|d");
    sg_csv_close(&c);
}

static void test_field_helpers(void **state)
{
    (void)state;
    sg_field f = {"  \tAB C\t ", 9};
    sg_field t = sg_field_trim(f);
    assert_int_equal(t.len, 4);
    assert_memory_equal(t.p, "AB C", 4);
    assert_true(sg_field_eq(t, "AB C"));
    assert_false(sg_field_eq(t, "AB"));
    assert_false(sg_field_eq(t, "AB CD"));
    sg_field blank = {" \t ", 3};
    assert_int_equal(sg_field_trim(blank).len, 0);
    sg_field empty = {"", 0};
    assert_true(sg_field_eq(empty, ""));
    char q[64];
    sg_field s = {"abc\ndef\x01", 8};
    assert_string_equal(sg_field_quote(s, q), "abc?def?"); /* non-printables become '?' */
    char long40[100];
    memset(long40, 'x', 45);
    sg_field l = {long40, 45};
    const char *lq = sg_field_quote(l, q);
    assert_int_equal(strlen(lq), 43); /* 40 bytes, then "..." */
    assert_string_equal(lq + 40, "...");
    sg_field ex = {long40, 40};
    assert_int_equal(strlen(sg_field_quote(ex, q)), 40);
}

/* sg_csv_open_mem (tests/fuzz reads its inputs so): the same records as
 * from a file, the caller's bytes untouched by the in-place unquoting, the
 * byte order mark skipped, and an empty buffer an empty file. */
static void test_open_mem(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBFsymbol,name\r\n\"A\",\"say \"\"hi\"\"\"\r\n";
    char copy[sizeof text], err[256];
    memcpy(copy, text, sizeof text);
    sg_csv c;
    long line;
    assert_int_equal(sg_csv_open_mem(&c, "mem.csv", copy, sizeof text - 1, err, sizeof err), 0);
    assert_string_equal(next(&c, &line), "symbol|name");
    assert_string_equal(next(&c, &line), "A|say \"hi\"");
    assert_int_equal(line, 2);
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_close(&c);
    assert_memory_equal(copy, text, sizeof text);
    assert_int_equal(sg_csv_open_mem(&c, "empty.csv", "", 0, err, sizeof err), 0);
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_close(&c);
}

/* sg_csv_release: the file's bytes go once the last record is read (a mapped
 * file and a copy in memory alike); path and line stay for messages, the
 * reader answers end of file, and closing after it is harmless. It is what
 * keeps sigmactl factors' peak at one copy of the prices file (bench/engine:
 * 98 MB with the mapped CSV beside the sorted rows, 65 MB without). */
static void test_release(void **state)
{
    (void)state;
    sg_csv c;
    long line;
    char err[256];
    open_text(&c, "release.csv", "symbol,close\nA,1\n");
    assert_string_equal(next(&c, &line), "symbol|close");
    assert_string_equal(next(&c, &line), "A|1");
    assert_true(c.mapped);
    sg_csv_release(&c);
    assert_null(c.buf);
    assert_false(c.mapped);
    assert_int_equal(c.nfields, 0);
    assert_int_equal(c.line, 2);
    assert_non_null(strstr(c.path, "release.csv"));
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_close(&c);
    assert_int_equal(sg_csv_open_mem(&c, "mem.csv", "a\n", 2, err, sizeof err), 0);
    sg_csv_release(&c);
    assert_string_equal(next(&c, NULL), "EOF");
    sg_csv_release(&c); /* twice: nothing left to free */
    sg_csv_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_empty_fields_and_no_final_newline),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_crlf_and_blank_lines),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_empty_file_and_errors),
        cmocka_unit_test(test_ten_megabyte_line),
        cmocka_unit_test(test_many_fields),
        cmocka_unit_test(test_pipe),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_field_helpers),
        cmocka_unit_test(test_open_mem),
        cmocka_unit_test(test_release),
    };
    return cmocka_run_group_tests_name("csvfile", tests, NULL, sgt_group_teardown);
}
