#!/usr/bin/env bash
# `sigmactl fetch` against fakeprov (tests/fixtures/fakeprov.c), a local server
# in the three providers' recorded formats, and a throwaway PostgreSQL.
#   fetch_test.sh SIGMACTL FAKEPROV SOURCE_DIR CASE [FETCHONLY]
# CASE:
#   db    formats and data_source per provider, the cascade, Polygon's pages,
#         the fetch-window rules, nulls, invalid bars, 429 + Retry-After, 500 then
#         success, a hung connection, truncated / HTML / wrong-symbol bodies,
#         idempotence (fingerprints with xmin), last_price_date, secrets never printed
#   csv   --csv without a database: the three formats give the same rows, escaping, the token bucket
#   regressions  the bugs these tests found in common/, now fixed: secrets in server text and
#         under other parameter names, a price rounding past NUMERIC(12,4), retries >= 32
#   guards  (issue 8, no database) settings checked at start-up, Polygon's next_url loops and
#         page limit, answers that do not name the symbol, prices that round to 0, timestamps
#         and offsets out of range, a key in a long URL under -v, no rate limit for file://
#   share  (no database) the fault suite's provider faults, /_fault/share, on 40 symbols and
#         two ETFs: with times=1, 500 and 429 are retried and the CSV equals a clean fetch's;
#         with times=0, garbage fails exactly the symbols /_fault/share/symbols lists, each
#         provider named with what was wrong, the others equal the clean fetch; hang ends at the
#         fetch's timeout (long before the fixture's --hang-s); off is a clean fetch again
# The fixture's special symbols are documented at the top of fakeprov.c.
set -euo pipefail
sigmactl=$1
fakeprov=$2
src=$3
case=$4
fetchonly=${5:-}
. "$src/tests/fixtures/fakeprov.sh"

D=2025-07-15
# Recognizable secrets, with characters the URL must escape; neither form may ever be printed.
secret='sk_live.Zq8+Wp3/Kf9=Lm2'
secret_escaped='sk_live.Zq8%2BWp3%2FKf9%3DLm2'
export FMP_API_KEY=$secret POLYGON_API_KEY=$secret

if [[ $case != csv && $case != guards && $case != share ]]; then
  . "$src/tests/store/lib.sh" "$sigmactl" "$src"
  trap 'fakeprov_stop || true; "$src/scripts/pg.sh" stop "$work/pg"; rm -rf "$work"' EXIT
else
  work=$(mktemp -d /tmp/sigma-providers-test.XXXXXX)
  trap 'fakeprov_stop || true; rm -rf "$work"' EXIT
  fail() { echo "FAIL: $*"; exit 1; }
fi
fakeprov_start "$fakeprov" "$work" --apikey "$secret" --page-size 100
mapfile -t urls < <(fakeprov_urls)
common=(-X http.timeout_ms=1500 -X http.backoff_ms=50 -X provider.polygon.rate=100 -X provider.fmp.rate=100
        -X provider.yahoo.rate=100 -X provider.yahoo.burst=50)
: >"$work/all-output"

# fetch [ARGS...]: runs sigmactl fetch -v; stdout in $work/out, stderr in $work/err, exit code in $rc,
# wall time in $elapsed (seconds); every output is kept for the secret check.
fetch() {
  local t0 t1
  t0=$(date +%s.%N)
  rc=0
  timeout 60 "$sigmactl" fetch "${urls[@]}" "${common[@]}" "$@" -v >"$work/out" 2>"$work/err" || rc=$?
  t1=$(date +%s.%N)
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  cat "$work/out" "$work/err" >>"$work/all-output"
}
show() { echo "--- stdout"; cat "$work/out"; echo "--- stderr"; cat "$work/err"; }
expect_rc() { [[ $rc == "$1" ]] || { show; fail "exit code $rc, expected $1"; }; }
line_of() { grep -E "^$1 " "$work/out" || { show; fail "no line for $1"; }; }
expect_line() { # SYMBOL REGEX
  line_of "$1" | grep -Eq -- "$2" || { show; fail "$1: line does not match '$2'"; }
}
fplog() { fp_get /_log; }
fpreset() { fp_get /_reset >/dev/null; }
requests_for() { # PROVIDER SYMBOL: requests the fixture saw
  fplog | awk -v p="$1" -v s="$2" '$1 == p && $2 == s' | wc -l
}

if [[ $case == guards ]]; then
  # Independent sections: each runs in a subshell, so one failing (as all did before
  # the fixes of issue 8) does not hide the others.
  g_settings() {
    echo "== settings: a bad value is a usage error (exit 2) naming it and what is allowed"
    bad_setting() { # EXPECTED-TEXT ARGS...: exit 2, the text on stderr, no request made
      local want=$1
      shift
      fpreset
      fetch AAPL --date $D --csv "$work/s.csv" "$@"
      expect_rc 2
      grep -qF -- "$want" "$work/err" || { show; fail "no '$want' on stderr"; }
      [[ $(fp_get /_stats) == '{"requests":0,'* ]] || fail "requests made despite a bad setting"
    }
    bad_setting "-X http.retries=abc: not an integer (allowed: an integer from 0 to 100)" -X http.retries=abc
    bad_setting "-X http.retries=-1: out of range" -X http.retries=-1
    bad_setting "-X provider.yahoo.rate=0: out of range (allowed: a number > 0" -X provider.yahoo.rate=0
    bad_setting "-X provider.fmp.rate=fast: not a number" -X provider.fmp.rate=fast
    bad_setting "-X http.parallel=0: out of range" -X http.parallel=0
    bad_setting "-X http.timeout_ms=1.5: not an integer" -X http.timeout_ms=1.5
    bad_setting "-X provider.polygon.burst=0: out of range" -X provider.polygon.burst=0
    bad_setting "-X provider.order=yahoo,bing: an unknown name" -X provider.order=yahoo,bing
    SIGMA_HTTP_RETRIES=abc bad_setting "http.retries (environment SIGMA_HTTP_RETRIES=abc): not an integer"
    SIGMA_HTTP_PARALLEL=0 bad_setting "http.parallel (environment SIGMA_HTTP_PARALLEL=0): out of range"
    SIGMA_POLYGON_MAX_PAGES=0 bad_setting "provider.polygon.max_pages (environment SIGMA_POLYGON_MAX_PAGES=0)"
    echo "== a URL template without {symbol} is refused at start-up"
    bad_setting "-X provider.yahoo.url=...: no {symbol}" -X "provider.yahoo.url=$fp_url/v8/finance/chart/AAPL?period1={period1}&period2={period2}"
    bad_setting "-X provider.fmp.url=...: no {symbol}" -X "provider.fmp.url=file:///tmp/fmp.json"
    rc=0
    SIGMA_POLYGON_URL="$fp_url/v2/aggs/ticker/AAPL/range/1/day/{from}/{to}" "$sigmactl" fetch AAPL --date $D \
      --csv "$work/s.csv" >"$work/out" 2>"$work/err" || rc=$?
    expect_rc 2
    grep -qF "provider.polygon.url (environment SIGMA_POLYGON_URL=...): no {symbol}" "$work/err" || { show; fail "env URL"; }
    "$sigmactl" fetch -X http.retries=abc -X list >"$work/out" 2>"$work/err" && fail "-X list with a bad value: exit 0"
    SIGMA_HTTP_RETRIES=abc "$sigmactl" fetch -X list >"$work/out" 2>"$work/err" && fail "-X list: exit 0 with a bad value"
    grep -q "INVALID: not an integer" "$work/out" || fail "-X list does not mark the bad value"

  }
  g_pages() {
    echo "== Polygon's next_url: a page seen before, and the page limit"
    fpreset
    fetch LOOP --date $D --provider polygon --csv "$work/loop.csv"
    expect_rc 1
    expect_line LOOP "not fetched \(no provider has it\): polygon: next_url repeats page 2 \(a loop\)$"
    [[ $(requests_for polygon LOOP) == 2 ]] || { fplog; fail "LOOP: $(requests_for polygon LOOP) requests, expected 2"; }
    fpreset
    fetch ENDLESS --date $D --provider polygon --csv "$work/endless.csv" -X provider.polygon.max_pages=5
    expect_rc 1
    expect_line ENDLESS "not fetched \(no provider has it\): polygon: more than 5 pages \(provider.polygon.max_pages\)$"
    [[ $(requests_for polygon ENDLESS) == 5 ]] || { fplog; fail "ENDLESS: $(requests_for polygon ENDLESS) requests, expected 5"; }
    fpreset
    fetch ENDLESS AAPL --date $D --csv "$work/endless.csv" -X provider.order=polygon,yahoo -X provider.polygon.rate=1000 \
      -X provider.polygon.burst=100
    expect_rc 0
    expect_line ENDLESS "251 rows .* from yfinance \[after polygon: more than 100 pages"
    [[ $(requests_for polygon ENDLESS) == 100 ]] || fail "ENDLESS: $(requests_for polygon ENDLESS) requests, expected 100"
    [[ $(requests_for polygon AAPL) == 3 ]] || fail "AAPL: 3 pages"
    fetch AAPL --date $D --provider polygon --csv "$work/p2.csv" -X provider.polygon.max_pages=2
    expect_rc 1
    expect_line AAPL "polygon: more than 2 pages"

  }
  g_symbols() {
    echo "== answers that do not name the requested symbol are rejected by every provider"
    fetch NOSYM WRONGALL WRONG --date $D --csv "$work/nosym.csv"
    expect_rc 1
    expect_line NOSYM "not fetched \(no provider has it\): yahoo: no chart result; fmp: answer names no symbol; polygon: answer names no ticker$"
    expect_line WRONGALL "not fetched \(no provider has it\): yahoo: answer is for symbol 'AAPL'; fmp: answer is for symbol 'AAPL'; polygon: answer is for ticker 'AAPL'$"
    expect_line WRONG "251 rows .* from polygon"
    if grep -q "^NOSYM,\|^WRONGALL," "$work/nosym.csv"; then fail "bars written for an answer without the symbol"; fi

  }
  g_prices() {
    echo "== prices are checked as NUMERIC(12,4) will hold them (rounded), in every provider's format"
    for p in yahoo fmp polygon; do
      fetch TINY NEARMAX --date $D --provider $p --csv "$work/tiny-$p.csv"
      expect_rc 0
      expect_line TINY "250 rows .*\(1 bars dropped, first $D: close rounds to 0 in NUMERIC\(12,4\)\)"
      expect_line NEARMAX "250 rows .*\(1 bars dropped, first $D: close is too large for NUMERIC\(12,4\)\)"
      if grep -q ",0\.0000," "$work/tiny-$p.csv"; then fail "$p: a price stored as 0.0000"; fi
      if grep -q "^TINY,$D," "$work/tiny-$p.csv"; then fail "$p: TINY's last bar written"; fi
    done

  }
  g_times() {
    echo "== timestamps and offsets out of range: that bar (or that answer) is dropped with the reason"
    fetch BADTIME --date $D --provider yahoo --csv "$work/bt-y.csv"
    expect_rc 0
    expect_line BADTIME "250 rows .*\(1 bars dropped, first bar 2: timestamp 9223372036854775807 is out of range\)"
    fetch BADTIME --date $D --provider polygon --csv "$work/bt-p.csv"
    expect_rc 0
    expect_line BADTIME "248 rows .*\(3 bars dropped, first bar 2: t 1e\+300 is out of range\)" # one a page
    fetch BADOFFSET --date $D --csv "$work/bo.csv"
    expect_rc 0
    expect_line BADOFFSET "251 rows .* from fmp \[after yahoo: gmtoffset 9223372036854775807 is out of range"
    if grep -q "runtime error" "$work/err"; then fail "undefined behaviour"; fi

  }
  g_secrets() {
    echo "== secrets: a key in the path and the query of a long URL, under -v, is never printed"
    pad=$(printf 'p%.0s' $(seq 475)) # the key starts at byte 495: the old 511-byte cut fell inside it
    fetch AAPL --date $D --provider fmp --csv "$work/long.csv" -X http.retries=1 \
      -X "provider.fmp.url=http://127.0.0.1:1/$pad/{apikey}/{symbol}?from={from}&apikey={apikey}"
    expect_rc 1
    grep -q "fmp AAPL: .*retry 1 in" "$work/err" || { show; fail "no retry line"; }
    if grep -F -e "$secret" -e "$secret_escaped" -e "Zq8" "$work/out" "$work/err"; then fail "the API key was printed"; fi

  }
  g_filerate() {
    echo "== rate limits apply to the network, not to file:// (208 symbols, Yahoo's default 5/s)"
    "$sigmactl" synth --symbols 200 --days 300 --end $D --out "$work/synth" >/dev/null
    mapfile -t synth < <(ls "$work/synth/yahoo" | sed 's/\.json$//')
    [[ ${#synth[@]} -ge 200 ]] || fail "synth wrote ${#synth[@]} files"
    fetch "${synth[@]}" --date $D --provider yahoo --csv "$work/synth.csv" -X provider.yahoo.rate=5 \
      -X provider.yahoo.burst=10 -X "provider.yahoo.url=file://$work/synth/yahoo/{symbol}.json"
    expect_rc 0
    grep -q "fetch: ${#synth[@]} symbols, ${#synth[@]} requests (0 over the network), 0 waited for a rate limit" "$work/err" ||
      { tail -5 "$work/err"; fail "file:// requests waited for the rate limit"; }
    echo "== ... but http(s) requests do: 11 at 20/s, burst 1: 10 wait; a long wait shows progress"
    fetch R01 R02 R03 R04 R05 R06 R07 R08 R09 R10 R11 --date $D --provider yahoo --csv "$work/rate.csv" \
      -X provider.yahoo.rate=20 -X provider.yahoo.burst=1
    expect_rc 0
    grep -q "fetch: 11 symbols, 11 requests (11 over the network), 10 waited for a rate limit" "$work/err" ||
      { tail -5 "$work/err"; fail "the token bucket was not counted"; }
    "$sigmactl" fetch R01 R02 R03 R04 R05 R06 R07 R08 R09 R10 R11 R12 R13 R14 "${urls[@]}" --date $D --provider yahoo \
      --csv "$work/rate.csv" -X provider.yahoo.rate=4 -X provider.yahoo.burst=1 >"$work/out" 2>"$work/err" ||
      fail "slow fetch: exit $?"
    grep -q "warning: fetch: [0-9]* of 14 symbols done, [0-9]* waiting for a rate limit" "$work/err" ||
      { cat "$work/err"; fail "no progress line (without -v) during a wait of about 3 s"; }
    echo "== a retry 2 s or more ahead is shown without -v"
    fpreset
    "$sigmactl" fetch E500 "${urls[@]}" --date $D --provider yahoo --csv "$work/e500.csv" -X http.backoff_ms=4000 \
      >"$work/out" 2>"$work/err" || fail "E500: exit $?"
    grep -q "warning: yahoo E500: HTTP 500, retry 1 in [2-6]\.[0-9] s (http://" "$work/err" ||
      { cat "$work/err"; fail "no warning for a retry in 2 s or more"; }
  }
  failed=()
  for g in settings pages symbols prices times secrets filerate; do
    ( "g_$g" ) || failed+=("$g")
  done
  if grep -qF -e "$secret" -e "$secret_escaped" "$work/all-output"; then fail "the API key was printed"; fi
  fakeprov_stop || fail "fakeprov did not exit cleanly"
  ((${#failed[@]} == 0)) || fail "sections failed: ${failed[*]}"
  echo "providers guards: all checks passed"
  exit 0
fi

if [[ $case == share ]]; then
  syms=(GLD $(printf 'S%02d ' $(seq 1 40)) SPY)
  fetch_share() { # NAME [ARGS...]: the 42 symbols to $work/NAME.csv
    local name=$1
    shift
    fetch "${syms[@]}" --date $D --csv "$work/$name.csv" "$@"
    cp "$work/out" "$work/$name.out"
  }
  share() { # QUERY: sets the fault; the symbols it hits are read after the fetch
    fpreset
    [[ $(fp_get "/_fault/share?$1") == '{"share":{'* ]] || fail "/_fault/share?$1 refused"
  }
  hit() { fp_get /_fault/share/symbols; }
  # the symbols whose requests got something else than 200, by the fixture's own log
  not_ok_in_log() { fplog | awk '$3 != 200 { print $2 }' | sort -u; }
  # CSV rows of the clean fetch without the symbols of file $1
  clean_without() { awk -F, 'NR == FNR { skip[$1] = 1; next } !($1 in skip)' "$1" "$work/clean.csv"; }

  echo "== bad settings are refused, with what was expected"
  [[ $(fp_get '/_fault/share?kind=404&pct=5') == *'kind: 500, 429, hang or garbage expected'* ]] || fail "kind=404"
  [[ $(fp_get '/_fault/share?kind=500&pct=101') == *'pct: 0..100 expected'* ]] || fail "pct=101"
  [[ $(fp_get '/_fault/share?kind=500') == *'pct: 0..100 expected'* ]] || fail "no pct"
  [[ $(fp_get '/_fault/share?kind=500&pct=5&seed=x') == *'seed: an unsigned number expected'* ]] || fail "seed=x"
  [[ $(fp_get '/_fault/share?kind=500&pct=5&times=-1') == *'times: 0..1000000 expected'* ]] || fail "times=-1"

  echo "== a clean fetch"
  fetch_share clean
  expect_rc 0
  [[ $(grep -c ' 251 rows ' "$work/clean.out") == 42 ]] || { show; fail "the clean fetch"; }

  for kind in 500 429; do
    echo "== $kind for 40% of the symbols, once per provider: retried, equal to the clean fetch"
    share "kind=$kind&pct=40&seed=11&times=1"
    fetch_share "f$kind"
    expect_rc 0
    hit >"$work/hit"
    n=$(wc -l <"$work/hit")
    ((n >= 5 && n <= 30)) || fail "$kind: $n symbols hit of 40 at pct=40"
    ! grep -qxE 'SPY|GLD' "$work/hit" || fail "$kind: an ETF of the factors was hit"
    [[ $(not_ok_in_log) == "$(cat "$work/hit")" ]] || { fplog; fail "$kind: the log's failed symbols differ from the list"; }
    [[ $(fplog | awk -v k="$kind" '$1 == "yahoo" && $3 == k' | wc -l) == "$n" ]] ||
      { fplog; fail "$kind: not exactly one yahoo $kind per symbol hit"; }
    while read -r sym; do
      grep -q "yahoo $sym: HTTP $kind, retry 1 in" "$work/err" || { show; fail "$kind: no retry logged for $sym"; }
    done <"$work/hit"
    cmp -s "$work/clean.csv" "$work/f$kind.csv" || fail "$kind: the CSV differs from the clean fetch"
    cmp -s "$work/clean.out" "$work/f$kind.out" || { show; fail "$kind: the summary differs from the clean fetch"; }
  done

  echo "== garbage on every request of 30%: exactly the symbols listed fail, naming each provider"
  share "kind=garbage&pct=30&seed=7"
  fetch_share garbage
  expect_rc 1
  hit >"$work/hit"
  [[ -s $work/hit ]] || fail "garbage: no symbol hit"
  grep ' not fetched ' "$work/out" | awk '{ print $1 }' | sort >"$work/failed"
  cmp -s "$work/hit" "$work/failed" || { show; cat "$work/hit"; fail "garbage: failed symbols differ from the list"; }
  while read -r sym; do
    expect_line "$sym" "not fetched .*: yahoo: not JSON \(.*\); fmp: not JSON \(.*\); polygon: not JSON \(.*\)$"
  done <"$work/hit"
  clean_without "$work/hit" >"$work/want.csv"
  cmp -s "$work/want.csv" "$work/garbage.csv" || fail "garbage: the other symbols' rows differ from the clean fetch"

  echo "== hang on 10%: the fetch's timeout ends each try, not the fixture's 30 s"
  share "kind=hang&pct=10&seed=3"
  fetch_share hang -X http.retries=0
  expect_rc 1
  hit >"$work/hit"
  [[ -s $work/hit ]] || fail "hang: no symbol hit"
  grep ' not fetched ' "$work/out" | awk '{ print $1 }' | sort >"$work/failed"
  cmp -s "$work/hit" "$work/failed" || { show; fail "hang: failed symbols differ from the list"; }
  while read -r sym; do
    expect_line "$sym" "not fetched .*yahoo: Timeout was reached after 0 retries; fmp: Timeout was reached.*; polygon: Timeout was reached"
  done <"$work/hit"
  awk -v e="$elapsed" 'BEGIN { exit !(e < 30) }' || fail "hang: the fetch took $elapsed s, as long as the hang itself"
  clean_without "$work/hit" >"$work/want.csv"
  cmp -s "$work/want.csv" "$work/hang.csv" || fail "hang: the other symbols' rows differ from the clean fetch"

  echo "== off: a clean fetch again, nothing listed"
  [[ $(fp_get /_fault/share/off) == '{"share":"off"}' ]] || fail "/_fault/share/off"
  fpreset
  fetch_share off
  expect_rc 0
  [[ -z $(hit) ]] || fail "off: symbols still listed: $(hit)"
  cmp -s "$work/clean.csv" "$work/off.csv" || fail "off: the CSV differs from the clean fetch"
  fakeprov_stop || fail "fakeprov did not exit cleanly"
  if grep -F -e "$secret" -e "$secret_escaped" -e "Zq8" "$work/all-output"; then fail "the API key was printed"; fi
  echo "share: ok"
  exit 0
fi

if [[ $case == csv ]]; then
  echo "== --csv: no database; each provider's format gives the same rows"
  for p in yahoo fmp polygon; do
    fetch AAPL MSFT --date $D --provider $p --csv "$work/$p.csv"
    expect_rc 0
    expect_line AAPL "251 rows 2024-07-15\.\.$D from $( [[ $p == yahoo ]] && echo yfinance || echo $p)"
    [[ $(wc -l <"$work/$p.csv") == 503 ]] || fail "$p: $(wc -l <"$work/$p.csv") lines, expected 1 + 2 x 251"
  done
  head -1 "$work/yahoo.csv" | grep -qx 'symbol,date,open,high,low,close,volume' || fail "CSV header"
  cmp "$work/yahoo.csv" "$work/fmp.csv" || fail "Yahoo (float32 prices) and FMP rows differ"
  cmp "$work/yahoo.csv" "$work/polygon.csv" || fail "Yahoo and Polygon rows differ"
  # Trading days only, D the last; high >= low and close > 0 everywhere.
  grep -q "^AAPL,$D," "$work/yahoo.csv" || fail "no bar for D"
  grep -q "^AAPL,2025-07-04," "$work/yahoo.csv" && fail "a bar on a holiday"
  grep -q "^AAPL,2025-01-09," "$work/yahoo.csv" && fail "a bar on the national day of mourning (2025-01-09)"
  awk -F, 'NR > 1 && ($4 + 0 < $5 + 0 || $6 <= 0) { exit 1 }' "$work/yahoo.csv" || fail "high < low or close <= 0 in CSV"
  [[ $(requests_for polygon AAPL) == 3 ]] || fail "Polygon: $(requests_for polygon AAPL) pages, expected 3"

  echo "== a symbol the URL must escape (^GSPC), through each provider"
  for p in yahoo fmp polygon; do
    fetch ^GSPC --date $D --provider $p --csv "$work/gspc-$p.csv"
    expect_rc 0
    expect_line '\^GSPC' "251 rows"
  done
  [[ $(fplog | grep -c '^[a-z]* \^GSPC 200 ') == 5 ]] || { fplog; fail "^GSPC requests (1 + 1 + 3 pages)"; }
  cmp "$work/gspc-yahoo.csv" "$work/gspc-polygon.csv" || fail "^GSPC rows differ"

  echo "== the token bucket: 11 requests at 20/s with a burst of 1 take >= 0.5 s"
  fetch R01 R02 R03 R04 R05 R06 R07 R08 R09 R10 R11 --date $D --provider yahoo --csv "$work/rate.csv" \
    -X provider.yahoo.rate=20 -X provider.yahoo.burst=1
  expect_rc 0
  awk -v e="$elapsed" 'BEGIN { exit !(e >= 0.48) }' || fail "11 requests at 20/s took only $elapsed s"
  [[ $(wc -l <"$work/rate.csv") == $((1 + 11 * 251)) ]] || fail "rate.csv rows"

  echo "== --csv: nulls, invalid bars and bars after D are not written"
  fetch NULLS BADBAR FUTURE --date $D --csv "$work/bad.csv"
  expect_rc 0
  expect_line NULLS "null close"
  expect_line BADBAR "249 rows .*3 bars dropped, first 2024-07-17: high below low"
  grep -Eq "^FUTURE,2025-07-(1[6-9]|2)" "$work/bad.csv" && fail "a bar after D written"
  grep -q "^FUTURE,$D," "$work/bad.csv" || fail "FUTURE: no bar for D"
  grep -q '^NULLS,.*,$' "$work/bad.csv" || fail "NULLS: the bar with a null volume keeps an empty volume"
  echo "== --csv and -d together: usage error"
  fetch AAPL --csv "$work/x.csv" -d "host=/nonexistent"
  expect_rc 2
  grep -q -- "--csv and -d do not go together" "$work/err" || fail "usage message"
  if grep -qF -e "$secret" -e "$secret_escaped" "$work/all-output"; then fail "the API key was printed"; fi
  fakeprov_stop || fail "fakeprov did not exit cleanly"
  echo "providers csv: all checks passed"
  exit 0
fi

"$sigmactl" migrate up -d "$ci" >/dev/null
rows() { q "SELECT count(*) FROM market_data_cache WHERE symbol = '$1'"; }
source_of() { q "SELECT string_agg(DISTINCT data_source, ',') FROM market_data_cache WHERE symbol = '$1'"; }
fingerprint() { # every stored row's identity, values and version: an unchanged row keeps its xmin
  q "SELECT (SELECT string_agg(concat_ws('|', id, symbol, date, open, high, low, close, volume, data_source,
                                         updated_at, xmin), ',' ORDER BY symbol, date) FROM market_data_cache)
      || (SELECT string_agg(concat_ws('|', symbol, last_price_date, xmin), ',' ORDER BY symbol) FROM symbol_universe)" |
    md5sum
}

if [[ $case == regressions ]]; then
  bugs=0
  bug() { echo "BUG: $*"; bugs=$((bugs + 1)); }
  echo "== 1. an error message that quotes the request prints the key (server text is not redacted)"
  fetch ECHO -d "$ci" --date $D -X provider.order=polygon
  if grep -qF -e "$secret" -e "$secret_escaped" "$work/out" "$work/err"; then
    grep -hF -e "$secret" -e "$secret_escaped" "$work/out" "$work/err" | sed 's/^/    /'
    bug "the API key was printed (from Polygon's error text)"
  fi
  echo "== 2. a key under a parameter name sg_redact_url does not know is printed with -v"
  fetch E500 --date $D --provider fmp --csv "$work/e500.csv" \
    -X "provider.fmp.url=$fp_url/api/v3/historical-price-full/{symbol}?from={from}&to={to}&apikey={apikey}&access_key={apikey}"
  if grep -qF -e "$secret" -e "$secret_escaped" "$work/err"; then
    grep -hF -e "$secret" -e "$secret_escaped" "$work/err" | sed 's/^/    /'
    bug "the API key was printed in a retry line"
  fi
  echo "== 3. a price that passes validation (< 10^8) but rounds to 10^8 fails the whole symbol"
  fetch NEARMAX -d "$ci" --date $D --provider fmp
  if [[ $rc != 0 || $(rows NEARMAX) == 0 ]]; then
    sed 's/^/    /' "$work/out" "$work/err"
    bug "NEARMAX: exit $rc, $(rows NEARMAX) rows stored (expected the bar dropped with a reason, 250 rows stored)"
  fi
  echo "== 4. http.retries >= 32 shifts 1u by 32 or more (undefined behaviour; UBSan stops it: -DSG_SANITIZE=ON)"
  fetch DOWN --date $D --provider yahoo --csv "$work/down.csv" -X http.retries=33 -X http.backoff_ms=0
  if [[ $rc != 1 ]] || grep -q "runtime error" "$work/err"; then
    grep "runtime error" "$work/err" | sed 's/^/    /'
    bug "DOWN with http.retries=33: exit $rc"
  fi
  echo "== 6. a Polygon next_url on another host gets the API key"
  # (unit test bug_follow_url_any_host; a fixture on another host is not needed to show it)
  fakeprov_stop || bug "fakeprov did not exit cleanly"
  ((bugs == 0)) || fail "$bugs regression(s)"
  echo "regressions: none"
  exit 0
fi

echo "== each provider's format, data_source, the cascade, Polygon's 3 pages"
fetch AAPL FMPONLY POLYONLY -d "$ci" --date $D
expect_rc 0
expect_line AAPL "251 rows 2024-07-15\.\.$D from yfinance$"
expect_line FMPONLY "251 rows .* from fmp \[after yahoo: Not Found: No data found, symbol may be delisted\]"
expect_line POLYONLY "251 rows .* from polygon \[after yahoo: Not Found: .*; fmp: empty result\]"
for s in AAPL FMPONLY POLYONLY; do [[ $(rows $s) == 251 ]] || fail "$s: $(rows $s) rows stored"; done
[[ $(source_of AAPL) == yfinance ]] || fail "AAPL data_source $(source_of AAPL)"
[[ $(source_of FMPONLY) == fmp ]] || fail "FMPONLY data_source $(source_of FMPONLY)"
[[ $(source_of POLYONLY) == polygon ]] || fail "POLYONLY data_source $(source_of POLYONLY)"
[[ $(requests_for polygon POLYONLY) == 3 ]] || fail "Polygon pages: $(requests_for polygon POLYONLY)"
[[ $(fplog | grep -c '^polygon POLYONLY 200 .*cursor=.* key=ok$') == 2 ]] || { fplog; fail "next_url pages without the key added back"; }
[[ $(fplog | grep -c ' key=bad$') == 0 ]] || fail "a wrong key was sent"
[[ $(requests_for fmp AAPL) == 0 ]] || fail "FMP asked for a symbol Yahoo served"
# The stored values are the fixture's bar for that day (a float32 Yahoo price rounds to the cents).
[[ $(q "SELECT count(*) FROM market_data_cache WHERE symbol = 'AAPL' AND (close * 100 <> round(close * 100)
       OR high < low OR close <= 0 OR volume IS NULL)") == 0 ]] || fail "AAPL values"
[[ $(q "SELECT min(date) || ' ' || max(date) FROM market_data_cache WHERE symbol = 'POLYONLY'") == "2024-07-15 $D" ]] ||
  fail "POLYONLY range"
[[ $(q "SELECT count(*) FROM market_data_cache WHERE symbol IN ('AAPL', 'FMPONLY', 'POLYONLY')
       AND (date IN ('2025-07-04', '2025-01-09', '2024-12-25') OR extract(isodow FROM date) > 5)") == 0 ]] ||
  fail "a bar on a non-trading day"
[[ $(q "SELECT added_source || ' ' || last_price_date || ' ' || first_seen_date FROM symbol_universe WHERE symbol = 'FMPONLY'") == \
   "batch $D 2024-07-15" ]] || fail "FMPONLY registered in symbol_universe"

echo "== the fetch windows: a year, from the last stored date, or skipped"
seed() { # SYMBOL N LAST: N weekday rows (not NYSE holidays) up to LAST, close 10, from a CSV import
  q "INSERT INTO market_data_cache (symbol, date, close, volume, data_source)
     SELECT '$1', d, 10, 100, 'csv_import' FROM (
       SELECT d::date FROM generate_series('$3'::date - 400, '$3'::date, '1 day') d
       WHERE extract(isodow FROM d) < 6 AND d::date NOT IN ('2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17',
             '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2024-12-25', '2024-11-28', '2024-09-02',
             '2024-07-04', '2024-06-19', '2024-05-27', '2024-03-29', '2024-02-19', '2024-01-15', '2024-01-01')
       ORDER BY d DESC LIMIT $2) t(d)"
  q "INSERT INTO symbol_universe (symbol, is_active, added_source, last_price_date) VALUES ('$1', true, 'admin', '$3')"
}
seed OLD 60 2025-07-10   # >= 50 recent rows: from its last date
seed FEW 49 2025-07-10   # < 50 recent rows: a full year
seed EXACT50 50 2025-07-10 # exactly 50: from its last date
seed HAS 60 $D           # holds D: skipped, no request
seed STALE 80 2024-06-28 # rows, but none in the last 365 days: a full year
fpreset
fetch OLD FEW EXACT50 HAS STALE -d "$ci" --date $D
expect_rc 0
expect_line HAS "skipped: already has $D"
expect_line OLD "4 rows 2025-07-10\.\.$D from yfinance"
expect_line FEW "251 rows 2024-07-15\.\.$D from yfinance"
expect_line EXACT50 "4 rows 2025-07-10\.\.$D from yfinance"
expect_line STALE "251 rows 2024-07-15\.\.$D from yfinance"
grep -q "^yahoo OLD 200 from=2025-07-10 to=$D period1=1752105600 period2=1752624000 " <<<"$(fplog)" || { fplog; fail "OLD window"; }
grep -q "^yahoo FEW 200 from=2024-07-15 to=$D period1=1721001600 " <<<"$(fplog)" || { fplog; fail "FEW window"; }
grep -q "^yahoo STALE 200 from=2024-07-15 to=$D " <<<"$(fplog)" || { fplog; fail "STALE window"; }
[[ $(fplog | grep -c ' HAS ' || true) == 0 ]] || fail "HAS was requested"
[[ $(rows OLD) == 63 ]] || fail "OLD: $(rows OLD) rows, expected 60 + 3"
[[ $(q "SELECT data_source FROM market_data_cache WHERE symbol = 'OLD' AND date = '2025-07-10'") == yfinance ]] ||
  fail "the refetched last day takes the provider's values"
[[ $(q "SELECT count(*) FROM market_data_cache WHERE symbol = 'OLD' AND date < '2025-07-10' AND data_source = 'csv_import'") == 59 ]] ||
  fail "OLD's earlier rows were touched"
[[ $(q "SELECT last_price_date FROM symbol_universe WHERE symbol = 'OLD'") == "$D" ]] || fail "OLD last_price_date"
[[ $(q "SELECT added_source FROM symbol_universe WHERE symbol = 'OLD'") == admin ]] || fail "OLD added_source changed"
[[ $(rows HAS) == 60 ]] || fail "HAS changed"

echo "== nulls, invalid bars (dropped with the reason), bars after D, a wrong symbol"
fpreset
fetch NULLS BADBAR FUTURE WRONG -d "$ci" --date $D
expect_rc 0
expect_line NULLS "from yfinance \([0-9]+ bars dropped, first [0-9-]+: null close\)"
expect_line BADBAR "249 rows .* \(3 bars dropped, first 2024-07-17: high below low\)"
expect_line WRONG "from polygon \[after yahoo: answer is for symbol 'AAPL'; fmp: answer is for symbol 'AAPL'\]"
[[ $(q "SELECT count(*) FROM market_data_cache WHERE symbol = 'NULLS' AND (date - '1970-01-01') % 10 = 0") == 0 ]] ||
  fail "a Yahoo null bar was stored"
[[ $(q "SELECT count(*) FROM market_data_cache WHERE symbol = 'NULLS' AND (date - '1970-01-01') % 10 = 5 AND volume IS NULL
       AND close > 0") -gt 0 ]] || fail "a bar with only a null volume is kept, volume NULL"
[[ $(q "SELECT count(*) FROM market_data_cache WHERE symbol = 'BADBAR' AND (high < low OR close <= 0 OR extract(isodow FROM date) > 5)") == 0 ]] ||
  fail "an invalid bar was stored"
[[ $(q "SELECT max(date) FROM market_data_cache WHERE symbol = 'FUTURE'") == "$D" ]] || fail "a bar after D was stored"
[[ $(source_of WRONG) == polygon ]] || fail "WRONG data_source"

echo "== 429 with Retry-After, 500 then success, a connection cut mid-body then success"
fpreset
fetch R429 -d "$ci" --date $D
expect_rc 0
expect_line R429 "251 rows .* from yfinance$"
awk -v e="$elapsed" 'BEGIN { exit !(e >= 1.0) }' || fail "Retry-After: 1 not honored (fetch took $elapsed s)"
grep -q "yahoo R429: HTTP 429, retry 1 in 1.0 s" "$work/err" || { show; fail "the retry is logged"; }
[[ $(fplog | awk '$2 == "R429" { print $1, $3 }' | tr '\n' ' ') == "yahoo 429 yahoo 200 " ]] || { fplog; fail "R429 requests"; }
fetch E500 -d "$ci" --date $D
expect_rc 0
expect_line E500 "251 rows .* from yfinance$"
[[ $(fplog | awk '$2 == "E500" { print $1, $3 }' | tr '\n' ' ') == "yahoo 500 yahoo 200 " ]] || { fplog; fail "E500 requests"; }

fetch CUT -d "$ci" --date $D
expect_rc 0
expect_line CUT "251 rows .* from yfinance$"
grep -q "yahoo CUT: Transferred a partial file, retry 1" "$work/err" || { show; fail "a cut connection is retried"; }
[[ $(fplog | awk '$2 == "CUT"' | wc -l) == 2 ]] || { fplog; fail "CUT requests"; }

echo "== a provider that stays down: its retries, then the next one; the run goes on"
fpreset
fetch DOWN GOOD2 -d "$ci" --date $D -X http.retries=2
expect_rc 1
expect_line DOWN "not fetched \(providers failing\): yahoo: HTTP 500 after 2 retries; fmp: HTTP 500 after 2 retries; polygon: HTTP 500 after 2 retries$"
expect_line GOOD2 "251 rows .* from yfinance$"
[[ $(fplog | awk '$2 == "DOWN" { print $1 }' | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }') == "fmp=3 polygon=3 yahoo=3 " ]] ||
  { fplog; fail "DOWN: 1 + 2 retries per provider"; }

echo "== a hung connection times out and the run moves on"
fpreset
fetch HANG HANGY GOOD1 -d "$ci" --date $D -X provider.order=yahoo,fmp -X http.retries=0
expect_rc 1
expect_line HANG "not fetched \(providers failing\): yahoo: Timeout was reached after 0 retries; fmp: Timeout"
expect_line HANGY "251 rows .* from fmp \[after yahoo: Timeout was reached after 0 retries\]"
expect_line GOOD1 "251 rows .* from yfinance$"
awk -v e="$elapsed" 'BEGIN { exit !(e < 8) }' || fail "the timeouts took $elapsed s (2 x 1.5 s expected)"
[[ $(rows HANG) == 0 && $(rows HANGY) == 251 && $(rows GOOD1) == 251 ]] || fail "rows after the hang"

echo "== truncated, HTML and non-JSON bodies fail that provider only"
fpreset
fetch TRUNC HTML BROKEN UNKNOWN PAGE2FAIL -d "$ci" --date $D
expect_rc 1
expect_line TRUNC "251 rows .* from fmp \[after yahoo: not JSON"
expect_line HTML "251 rows .* from fmp \[after yahoo: not JSON \('\[' or '\{' expected near '<'"
expect_line BROKEN "not fetched \(no provider has it\): yahoo: not JSON .*; fmp: not JSON .*; polygon: not JSON"
expect_line UNKNOWN "not fetched \(no provider has it\): yahoo: Not Found: .*; fmp: empty result; polygon: empty result"
expect_line PAGE2FAIL "251 rows .* from yfinance$"
[[ $(source_of TRUNC) == fmp && $(source_of HTML) == fmp && $(rows BROKEN) == 0 && $(rows UNKNOWN) == 0 ]] ||
  fail "rows after bad bodies"
[[ $(q "SELECT count(*) FROM symbol_universe WHERE symbol IN ('BROKEN', 'UNKNOWN', 'HANG')") == 0 ]] ||
  fail "an unserved symbol was registered"
echo "== a Polygon page that fails discards the pages before it"
q "DELETE FROM market_data_cache WHERE symbol = 'PAGE2FAIL'"
fetch PAGE2FAIL -d "$ci" --date $D --provider polygon
expect_rc 1
expect_line PAGE2FAIL "not fetched \(no provider has it\): polygon: not JSON"
[[ $(rows PAGE2FAIL) == 0 ]] || fail "rows of page 1 stored"

echo "== a wrong API key: HTTP 401, the next provider, and the key is not printed either"
FMP_API_KEY="wrong-$secret" fetch FMPONLY2 -d "$ci" --date $D -X provider.order=fmp
expect_rc 1
expect_line FMPONLY2 "not fetched \(no provider has it\): fmp: HTTP 401"

echo "== idempotence: fetching again for D requests nothing and changes no row"
all=(AAPL FMPONLY POLYONLY OLD FEW EXACT50 HAS STALE NULLS BADBAR FUTURE WRONG R429 E500 CUT HANGY GOOD1 GOOD2 TRUNC
     HTML)
before=$(fingerprint)
fpreset
fetch "${all[@]}" -d "$ci" --date $D
expect_rc 0
[[ $(grep -c "skipped: already has $D" "$work/out") == ${#all[@]} ]] || { show; fail "not every symbol skipped"; }
[[ $(fp_get /_stats) == '{"requests":0,'* ]] || fail "requests made for symbols holding D"
[[ $(fingerprint) == "$before" ]] || fail "the second fetch changed rows"

echo "== the next day: from the last stored date; the overlapping day is unchanged, last_price_date moves"
xmin_before=$(q "SELECT xmin FROM market_data_cache WHERE symbol = 'AAPL' AND date = '$D'")
fetch AAPL POLYONLY -d "$ci" --date 2025-07-16
expect_rc 0
expect_line AAPL "2 rows $D\.\.2025-07-16 from yfinance"
expect_line POLYONLY "2 rows $D\.\.2025-07-16 from polygon"
[[ $(q "SELECT xmin FROM market_data_cache WHERE symbol = 'AAPL' AND date = '$D'") == "$xmin_before" ]] ||
  fail "the refetched day was rewritten"
[[ $(rows AAPL) == 252 ]] || fail "AAPL rows after the next day"
[[ $(q "SELECT last_price_date FROM symbol_universe WHERE symbol = 'AAPL'") == 2025-07-16 ]] || fail "last_price_date did not move"
echo "== a fetch over stored days only (a Saturday D) changes no row"
before=$(fingerprint)
fetch AAPL POLYONLY -d "$ci" --date 2025-07-19
expect_rc 0
expect_line AAPL "3 rows 2025-07-16\.\.2025-07-18 from yfinance"
after_sat=$(fingerprint)
fetch AAPL POLYONLY -d "$ci" --date 2025-07-19
expect_rc 0
[[ $(fingerprint) == "$after_sat" ]] || fail "refetching 2025-07-18..19 changed rows"
[[ $(q "SELECT last_price_date FROM symbol_universe WHERE symbol = 'AAPL'") == 2025-07-18 ]] || fail "last_price_date on a Saturday D"

echo "== secrets: a logged retry shows the URL with the key redacted"
for p in fmp polygon; do
  fetch E500 --provider $p --date $D --csv "$work/e500-$p.csv"
  expect_rc 0
  grep -q "$p E500: HTTP 500, retry 1 in .*[?&]api[kK]ey=\*\*\*" "$work/err" || { show; fail "$p: no redacted retry line"; }
done
echo "== secrets: neither the key nor its URL-escaped form was ever printed (all runs used -v)"
[[ $(wc -l <"$work/all-output") -gt 50 ]] || fail "outputs were not collected"
if grep -F -e "$secret" -e "$secret_escaped" -e "Zq8" "$work/all-output"; then fail "the API key was printed"; fi
fakeprov_stop || fail "fakeprov did not exit cleanly"
echo "providers fetch: all checks passed"
