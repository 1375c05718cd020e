-- fsql 0.2.0 | training set of 'svc' | dialect bigquery | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY `select`, `order`, `my label`) AS __fsql_rid,
    UNIX_MICROS(`order`) AS __fsql_t
  FROM `from`
), __fsql_orders_src AS (
  SELECT
    `select` AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    `total amount` AS __fsql_f0,
    `group` AS __fsql_f1
  FROM `order data` AS __fsql_s
  WHERE
    NOT `select` IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_orders_pit AS (
  SELECT
    __fsql_whole.*,
    __fsql_x.__fsql_w.ts AS __fsql_p0_ts,
    __fsql_x.__fsql_w.v0 AS __fsql_p0_f0,
    __fsql_x.__fsql_w.v1 AS __fsql_p0_f1
  FROM (
    SELECT
      __fsql_whole,
      LAST_VALUE(__fsql_row IGNORE NULLS) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o, __fsql_side, __fsql_c ASC, IS_NAN(__fsql_f0) ASC, __fsql_f0 ASC, __fsql_f1 ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_w
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_side,
        __fsql_c,
        __fsql_f0,
        __fsql_f1,
        NULL AS __fsql_whole,
        STRUCT(__fsql_ts AS ts, __fsql_f0 AS v0, __fsql_f1 AS v1) AS __fsql_row
      FROM __fsql_orders_src
      UNION ALL
      SELECT
        __fsql_q.`select` AS __fsql_k0,
        __fsql_q.__fsql_t AS __fsql_o,
        1 AS __fsql_side,
        NULL AS __fsql_c,
        NULL AS __fsql_f0,
        NULL AS __fsql_f1,
        __fsql_q AS __fsql_whole,
        NULL AS __fsql_row
      FROM __fsql_spine AS __fsql_q
    ) AS __fsql_u
  ) AS __fsql_x
  WHERE
    NOT __fsql_x.__fsql_whole IS NULL
)
SELECT
  __fsql_orders_pit.*
  EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1),
  CASE
    WHEN NOT __fsql_orders_pit.__fsql_t IS NULL
    AND NOT __fsql_orders_pit.__fsql_p0_ts IS NULL
    AND __fsql_orders_pit.__fsql_p0_ts > __fsql_orders_pit.__fsql_t - 86400000000
    THEN __fsql_orders_pit.__fsql_p0_f0
    ELSE CAST(NULL AS FLOAT64)
  END AS `total_amount`,
  CASE
    WHEN NOT __fsql_orders_pit.__fsql_t IS NULL
    AND NOT __fsql_orders_pit.__fsql_p0_ts IS NULL
    AND __fsql_orders_pit.__fsql_p0_ts > __fsql_orders_pit.__fsql_t - 86400000000
    THEN __fsql_orders_pit.__fsql_p0_f1
    ELSE CAST(NULL AS STRING)
  END AS `grp`
FROM __fsql_orders_pit
ORDER BY
  __fsql_orders_pit.__fsql_rid
