-- fsql 0.2.0 | training set of 'svc' | dialect bigquery | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id, bank, branch, first, last, event_timestamp) AS __fsql_rid,
    UNIX_MICROS(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_balance_src AS (
  SELECT
    bank AS __fsql_k0,
    branch AS __fsql_k1,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    amount AS __fsql_f0
  FROM accounts AS __fsql_s
  WHERE
    NOT bank IS NULL AND NOT branch IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_balance_pit AS (
  SELECT
    __fsql_whole.*,
    __fsql_x.__fsql_w.ts AS __fsql_p0_ts,
    __fsql_x.__fsql_w.v0 AS __fsql_p0_f0
  FROM (
    SELECT
      __fsql_whole,
      LAST_VALUE(__fsql_row IGNORE NULLS) OVER (
        PARTITION BY __fsql_k0, __fsql_k1
        ORDER BY __fsql_o, __fsql_side, __fsql_c ASC, __fsql_f0 ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_w
    FROM (
      SELECT
        __fsql_k0,
        __fsql_k1,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_side,
        __fsql_c,
        __fsql_f0,
        NULL AS __fsql_whole,
        STRUCT(__fsql_ts AS ts, __fsql_f0 AS v0) AS __fsql_row
      FROM __fsql_balance_src
      UNION ALL
      SELECT
        __fsql_q.bank AS __fsql_k0,
        __fsql_q.branch AS __fsql_k1,
        __fsql_q.__fsql_t AS __fsql_o,
        1 AS __fsql_side,
        NULL AS __fsql_c,
        NULL AS __fsql_f0,
        __fsql_q AS __fsql_whole,
        NULL AS __fsql_row
      FROM __fsql_spine AS __fsql_q
    ) AS __fsql_u
  ) AS __fsql_x
  WHERE
    NOT __fsql_x.__fsql_whole IS NULL
), __fsql_tagged_src AS (
  SELECT
    first AS __fsql_k0,
    last AS __fsql_k1,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    tag AS __fsql_f0
  FROM names AS __fsql_s
  WHERE
    NOT first IS NULL AND NOT last IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_tagged_pit AS (
  SELECT
    __fsql_whole.*,
    __fsql_x.__fsql_w.ts AS __fsql_p1_ts,
    __fsql_x.__fsql_w.v0 AS __fsql_p1_f0
  FROM (
    SELECT
      __fsql_whole,
      LAST_VALUE(__fsql_row IGNORE NULLS) OVER (
        PARTITION BY __fsql_k0, __fsql_k1
        ORDER BY __fsql_o, __fsql_side, __fsql_c ASC, __fsql_f0 ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_w
    FROM (
      SELECT
        __fsql_k0,
        __fsql_k1,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_side,
        __fsql_c,
        __fsql_f0,
        NULL AS __fsql_whole,
        STRUCT(__fsql_ts AS ts, __fsql_f0 AS v0) AS __fsql_row
      FROM __fsql_tagged_src
      UNION ALL
      SELECT
        __fsql_q.first AS __fsql_k0,
        __fsql_q.last AS __fsql_k1,
        __fsql_q.__fsql_t AS __fsql_o,
        1 AS __fsql_side,
        NULL AS __fsql_c,
        NULL AS __fsql_f0,
        __fsql_q AS __fsql_whole,
        NULL AS __fsql_row
      FROM __fsql_balance_pit AS __fsql_q
    ) AS __fsql_u
  ) AS __fsql_x
  WHERE
    NOT __fsql_x.__fsql_whole IS NULL
)
SELECT
  __fsql_tagged_pit.*
  EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p1_ts, __fsql_p1_f0),
  CASE
    WHEN NOT __fsql_tagged_pit.__fsql_t IS NULL
    AND NOT __fsql_tagged_pit.__fsql_p0_ts IS NULL
    AND __fsql_tagged_pit.__fsql_p0_ts > __fsql_tagged_pit.__fsql_t - 86400000000
    THEN __fsql_tagged_pit.__fsql_p0_f0
    ELSE CAST(NULL AS INT64)
  END AS `amount`,
  CASE
    WHEN NOT __fsql_tagged_pit.__fsql_t IS NULL
    AND NOT __fsql_tagged_pit.__fsql_p1_ts IS NULL
    AND __fsql_tagged_pit.__fsql_p1_ts > __fsql_tagged_pit.__fsql_t - 86400000000
    THEN __fsql_tagged_pit.__fsql_p1_f0
    ELSE CAST(NULL AS STRING)
  END AS `tag`
FROM __fsql_tagged_pit
ORDER BY
  __fsql_tagged_pit.__fsql_rid
