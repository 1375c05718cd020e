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
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT "select" IS NULL
    AND EPOCH_US(ts) <= __fsql_b.__fsql_hi
    AND EPOCH_US(ts) >= __fsql_b.__fsql_lo - 86400000000
), __fsql_orders_pit AS (
  SELECT
    __fsql_m.__fsql_rid,
    __fsql_l.__fsql_ts,
    __fsql_l.__fsql_f0,
    __fsql_l.__fsql_f1
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_spine."select" AS __fsql_k0,
      __fsql_n.__fsql_ts
    FROM __fsql_spine
    ASOF JOIN (
      SELECT
        __fsql_k0,
        __fsql_ts
      FROM __fsql_orders_src
    ) AS __fsql_n
      ON __fsql_spine."select" = __fsql_n.__fsql_k0
      AND __fsql_n.__fsql_ts <= __fsql_spine.__fsql_t
    WHERE
      __fsql_n.__fsql_ts > __fsql_spine.__fsql_t - 86400000000
  ) AS __fsql_m
  INNER JOIN __fsql_orders_src AS __fsql_l
    ON __fsql_l.__fsql_k0 = __fsql_m.__fsql_k0
    AND __fsql_l.__fsql_ts = __fsql_m.__fsql_ts
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_m.__fsql_rid
      ORDER BY __fsql_l.__fsql_c DESC, __fsql_l.__fsql_f0 DESC, __fsql_l.__fsql_f1 DESC
    ) = 1
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_orders_pit.__fsql_ts IS NULL
    AND __fsql_orders_pit.__fsql_ts > __fsql_spine.__fsql_t - 86400000000
    THEN __fsql_orders_pit.__fsql_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "total_amount",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_orders_pit.__fsql_ts IS NULL
    AND __fsql_orders_pit.__fsql_ts > __fsql_spine.__fsql_t - 86400000000
    THEN __fsql_orders_pit.__fsql_f1
    ELSE CAST(NULL AS TEXT)
  END AS "grp"
FROM __fsql_spine
LEFT JOIN __fsql_orders_pit
  ON __fsql_spine.__fsql_rid = __fsql_orders_pit.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
