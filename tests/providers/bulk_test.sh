#!/usr/bin/env bash
# Bulk daily bars against fakeprov (tests/fixtures/fakeprov.c: its grouped-daily and bulk
# end-of-day endpoints, its bars the per-symbol answers' own) and a throwaway PostgreSQL,
# through the providers' code path (bulkfetch: the fetcher's bulk job, common/bulk.c's
# parsers, store_io's COPY + upsert).
#   bulk_test.sh SIGMACTL FAKEPROV BULKFETCH SOURCE_DIR CASE
# CASE:
#   store   a grouped-daily body of 10,000 tickers (and 20 no run holds) parsed and stored
#           in one transaction; the stored rows equal, as text, what the per-symbol path
#           stores for the same bars (Polygon and FMP); last_price_date; a second store
#           changes no row (xmin)
#   faults  429, 500, a truncated body, a hung request, a day without some tickers, a bad
#           key, no key: each an answer the caller can act on (failed or not served with
#           the reason, or the missing symbols named), never a stored row that is wrong
set -euo pipefail
sigmactl=$1
fakeprov=$2
bulkfetch=$3
src=$4
case=$5
. "$src/tests/fixtures/fakeprov.sh"
. "$src/tests/store/lib.sh" "$sigmactl" "$src"
trap 'fakeprov_stop || true; "$src/scripts/pg.sh" stop "$work/pg"; rm -rf "$work"' EXIT

D=2025-07-15
secret='sk_bulk.Zq8+Wp3/Kf9=Lm2'
export FMP_API_KEY=$secret POLYGON_API_KEY=$secret
"$sigmactl" migrate up -d "$ci" >/dev/null

# The universe the bulk endpoints list: 10,000 tickers, 20 that no run asks for, and BADBAR.
seq -f 'B%05g' 1 10000 >"$work/run.txt"
{ cat "$work/run.txt"; seq -f 'X%05g' 1 20; echo BADBAR; } >"$work/universe.txt"
fakeprov_start "$fakeprov" "$work" --apikey "$secret" --page-size 1000 --universe "$work/universe.txt" --hang-s 5
mapfile -t urls < <(fakeprov_urls)
bulk_urls=(-X "provider.polygon.bulk_url=$fp_url/v2/aggs/grouped/locale/us/market/stocks/{date}?adjusted=false&apiKey={apikey}"
           -X "provider.fmp.bulk_url=$fp_url/api/v4/batch-request-end-of-day-prices?date={date}&apikey={apikey}")
common=(-X http.timeout_ms=3000 -X http.retries=1 -X http.backoff_ms=50 -X provider.polygon.rate=100
        -X provider.fmp.rate=100)
: >"$work/all-output"

# bulk PROVIDER [ARGS...]: bulkfetch of D with PROVIDER first; its line in $work/out, exit code in $rc.
bulk() {
  local p=$1
  shift
  rc=0
  timeout 60 "$bulkfetch" $D -X "provider.order=$p,yahoo" "${bulk_urls[@]}" "${common[@]}" "$@" >"$work/out" 2>"$work/err" || rc=$?
  cat "$work/out" "$work/err" >>"$work/all-output"
}
show() { echo "--- stdout"; cat "$work/out"; echo "--- stderr"; cat "$work/err"; }
expect() { grep -Eq -- "$1" "$work/out" || { show; fail "expected '$1'"; }; }
stat_of() { fp_get /_stats | sed -n "s/.*\"$1\":{\"fmp\":\([0-9]*\),\"polygon\":\([0-9]*\)}.*/\1 \2/p"; }
rows_of() { # CONNINFO SYMBOLS-LIKE: D's rows as text, without id and timestamps
  psql "$1" -XAtq -v ON_ERROR_STOP=1 -c "SELECT symbol, date, open, high, low, close, volume, data_source, sector,
      industry, exchange, country, market_cap FROM market_data_cache WHERE date = '$D' AND symbol LIKE '$2'
      ORDER BY symbol COLLATE \"C\""
}

if [[ $case == store ]]; then
  for p in polygon fmp; do
    echo "== $p: 10,000 tickers of the answer stored in one transaction"
    q "TRUNCATE market_data_cache, symbol_universe CASCADE"
    fp_get /_reset >/dev/null
    bulk $p -d "$ci" --symbols "$work/run.txt"
    [[ $rc == 0 ]] || { show; fail "$p: exit $rc"; }
    expect "^provider $p status ok rows 10021 symbols 10021 not_symbols 0 bad 1 .* stored 10000 missing 0 refused 0 "
    echo "$p: $(cat "$work/out")"
    [[ $(stat_of bulk) == "$([[ $p == fmp ]] && echo '1 0' || echo '0 1')" ]] || { fp_get /_stats; fail "one bulk request"; }
    [[ $(fp_get /_stats | sed -n 's/.*"by_provider":{"yahoo":0,"fmp":0,"polygon":0}.*/none/p') == none ]] ||
      { fp_get /_stats; fail "a per-symbol request"; }
    [[ $(q "SELECT count(*) || ' ' || count(DISTINCT symbol) || ' ' || min(date) || ' ' || max(date) || ' '
            || string_agg(DISTINCT data_source, ',') FROM market_data_cache") == "10000 10000 $D $D $p" ]] ||
      fail "stored: $(q "SELECT count(*), min(date), max(date), string_agg(DISTINCT data_source, ',') FROM market_data_cache")"
    [[ $(q "SELECT count(*) FROM market_data_cache WHERE symbol LIKE 'X%' OR symbol = 'BADBAR'") == 0 ]] ||
      fail "a ticker no run asked for was stored"
    [[ $(q "SELECT count(*) FROM symbol_universe WHERE last_price_date = '$D' AND added_source = 'batch'") == 10000 ]] ||
      fail "last_price_date"
    echo "== $p: the stored rows equal the per-symbol path's for the same bars"
    q "DROP DATABASE IF EXISTS ref" >/dev/null
    q "CREATE DATABASE ref"
    ref="${ci/dbname=postgres/dbname=ref}"
    "$sigmactl" migrate up -d "$ref" >/dev/null
    mapfile -t some < <(awk 'NR % 500 == 1' "$work/run.txt")
    "$sigmactl" fetch "${some[@]}" --date $D -d "$ref" --provider $p "${urls[@]}" "${common[@]}" >"$work/out" 2>"$work/err" ||
      { show; fail "per-symbol fetch"; }
    rows_of "$ref" 'B%' >"$work/want"
    rows_of "$ci" 'B%' | grep -F -f <(printf '%s|\n' "${some[@]}") >"$work/got" || true
    [[ $(wc -l <"$work/want") == ${#some[@]} ]] || fail "per-symbol rows of D: $(wc -l <"$work/want")"
    diff "$work/want" "$work/got" || fail "$p: bulk rows differ from per-symbol rows"
    echo "== $p: storing the same answer again changes no row"
    before=$(q "SELECT sum(xmin::text::bigint) FROM market_data_cache")
    bulk $p -d "$ci" --symbols "$work/run.txt"
    [[ $rc == 0 ]] || { show; fail "second store"; }
    [[ $(q "SELECT sum(xmin::text::bigint) FROM market_data_cache") == "$before" ]] || fail "a second store rewrote rows"
  done
fi

if [[ $case == faults ]]; then
  fp_get /_reset >/dev/null
  echo "== 429 with Retry-After, retried (http.retries), then failed: the caller goes per symbol"
  fp_get /_bulk/429 >/dev/null
  bulk polygon -X http.retry_after_max_ms=100
  [[ $rc == 1 ]] || { show; fail "429: exit $rc"; }
  expect "status failed .* why: polygon: HTTP 429 after 1 retries$"
  [[ $(stat_of bulk) == "0 2" ]] || { fp_get /_stats; fail "429: two requests (one retry)"; }
  echo "== 500 (an HTML page)"
  fp_get /_bulk/500 >/dev/null
  bulk fmp
  expect "^provider fmp status failed .* why: fmp: HTTP 500 after 1 retries$"
  echo "== a truncated body: Polygon's JSON is not JSON, FMP's last row has no line end"
  fp_get /_bulk/trunc >/dev/null
  bulk polygon
  expect "^provider polygon status not-served .* why: polygon: not JSON \(.*\)$"
  bulk fmp -d "$ci" --symbols "$work/run.txt"
  expect "^provider fmp status ok rows [0-9]+ .* bad [01] .* stored [0-9]+ missing [0-9]+ refused [01] "
  stored=$(q "SELECT count(*) FROM market_data_cache")
  ((stored > 4000 && stored < 5100)) || fail "half the rows: $stored"
  q "TRUNCATE market_data_cache, symbol_universe CASCADE"
  echo "== a request that hangs: the timeout, retried, then failed"
  fp_get /_bulk/hang >/dev/null
  bulk polygon -X http.timeout_ms=500 -X http.retries=0
  expect "^provider polygon status failed .* why: polygon: Timeout was reached after 0 retries$"
  echo "== a day without some tickers: they are missing (the caller fetches them alone)"
  fp_get /_bulk/drop/B001 >/dev/null
  bulk polygon -d "$ci" --symbols "$work/run.txt"
  expect "^provider polygon status ok rows 9921 .* stored 9900 missing 100 refused 0 "
  [[ $(q "SELECT count(*) FROM market_data_cache WHERE symbol LIKE 'B001%'") == 0 ]] || fail "a dropped ticker stored"
  fp_get /_bulk/ok >/dev/null
  echo "== a bad key: 401, not served; no key: no bulk provider at all"
  FMP_API_KEY=wrong bulk fmp
  expect "^provider fmp status not-served .* why: fmp: HTTP 401$"
  POLYGON_API_KEY= FMP_API_KEY= bulk polygon
  expect "^provider none status not-served why: no provider of provider.order \(polygon,yahoo\) has a bulk endpoint"
  rc=0
  "$bulkfetch" $D -X provider.order=yahoo "${bulk_urls[@]}" >"$work/out" 2>"$work/err" || rc=$?
  expect "^provider none status not-served why: no provider of provider.order \(yahoo\)"
  bulk polygon -X provider.bulk=0
  expect "^provider none status not-served why: provider.bulk is 0$"
  echo "== a bulk template must name {date} and not {symbol}"
  rc=0
  "$bulkfetch" $D -X "provider.polygon.bulk_url=$fp_url/grouped/$D" >"$work/out" 2>"$work/err" || rc=$?
  [[ $rc == 2 ]] && grep -q "no {date}" "$work/err" || { show; fail "a template without {date}"; }
fi

if grep -qF -e "$secret" -e 'Zq8%2BWp3' "$work/all-output"; then fail "the API key was printed"; fi
fakeprov_stop || fail "fakeprov did not exit cleanly"
echo "providers bulk $case: all checks passed"
