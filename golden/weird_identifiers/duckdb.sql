-- fsql 0.2.0 | training set of 'svc' | dialect duckdb | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY "select" NULLS FIRST, "order" NULLS FIRST, "my label" NULLS FIRST) AS __fsql_rid,
    EPOCH_US("order") AS __fsql_t
  FROM "from"
), __fsql_orders_src AS NOT MATERIALIZED (
  SELECT
    "select" AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    "total amount" AS __fsql_f0,
    "group" AS __fsql_f1
  FROM "order data" AS __fsql_s
  WHERE
    NOT "select" IS NULL AND NOT EPOCH_US(ts) IS NULL
), __fsql_orders_pit AS (
  SELECT
    __fsql_m.*,
    __fsql_e.__fsql_f0 AS __fsql_p0_f0,
    __fsql_e.__fsql_f1 AS __fsql_p0_f1
  FROM (
    SELECT
      __fsql_q.*,
      __fsql_n.__fsql_ts AS __fsql_p0_ts
    FROM __fsql_spine AS __fsql_q
    ASOF LEFT JOIN (
      SELECT
        __fsql_k0,
        __fsql_ts
      FROM __fsql_orders_src
    ) AS __fsql_n
      ON __fsql_q."select" = __fsql_n.__fsql_k0
      AND __fsql_n.__fsql_ts <= __fsql_q.__fsql_t
  ) AS __fsql_m
  LEFT JOIN __fsql_orders_src AS __fsql_e
    ON __fsql_m."select" = __fsql_e.__fsql_k0
    AND __fsql_e.__fsql_ts = __fsql_m.__fsql_p0_ts
    AND __fsql_m.__fsql_p0_ts > __fsql_m.__fsql_t - 86400000000
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_m.__fsql_rid
      ORDER BY __fsql_e.__fsql_c DESC, __fsql_e.__fsql_f0 DESC, __fsql_e.__fsql_f1 DESC
    ) = 1
)
SELECT
  __fsql_orders_pit.*
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1),
  CASE
    WHEN NOT __fsql_orders_pit.__fsql_t IS NULL
    AND NOT __fsql_orders_pit.__fsql_p0_ts IS NULL
    AND __fsql_orders_pit.__fsql_p0_ts > __fsql_orders_pit.__fsql_t - 86400000000
    THEN __fsql_orders_pit.__fsql_p0_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "total_amount",
  CASE
    WHEN NOT __fsql_orders_pit.__fsql_t IS NULL
    AND NOT __fsql_orders_pit.__fsql_p0_ts IS NULL
    AND __fsql_orders_pit.__fsql_p0_ts > __fsql_orders_pit.__fsql_t - 86400000000
    THEN __fsql_orders_pit.__fsql_p0_f1
    ELSE CAST(NULL AS TEXT)
  END AS "grp"
FROM __fsql_orders_pit
ORDER BY
  __fsql_orders_pit.__fsql_rid NULLS FIRST
