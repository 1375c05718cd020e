-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY "select" NULLS FIRST, "order" NULLS FIRST, "my label" NULLS FIRST) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM "order") * 1000000 AS BIGINT) AS __fsql_t
  FROM "from"
), __fsql_orders_src AS (
  SELECT
    "select" AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    "total amount" AS __fsql_f0,
    "group" AS __fsql_f1
  FROM "order data" AS __fsql_s
  WHERE
    NOT "select" IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_orders_pit AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_q.*,
      __fsql_e.__fsql_ts AS __fsql_p0_ts,
      __fsql_e.__fsql_f0 AS __fsql_p0_f0,
      __fsql_e.__fsql_f1 AS __fsql_p0_f1,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_q.__fsql_rid
        ORDER BY __fsql_e.__fsql_ts DESC NULLS LAST, __fsql_e.__fsql_c DESC NULLS LAST, __fsql_e.__fsql_f0 DESC NULLS LAST, __fsql_e.__fsql_f1 COLLATE "C" DESC NULLS LAST
      ) AS __fsql_p0_rank
    FROM __fsql_spine AS __fsql_q
    LEFT JOIN __fsql_orders_src AS __fsql_e
      ON __fsql_q."select" = __fsql_e.__fsql_k0
      AND __fsql_e.__fsql_ts <= __fsql_q.__fsql_t
      AND __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 86400000000
  ) AS __fsql_z
  WHERE
    __fsql_z.__fsql_p0_rank = 1
)
SELECT
  __fsql_orders_pit."select",
  __fsql_orders_pit."order",
  __fsql_orders_pit."my label",
  CASE
    WHEN NOT __fsql_orders_pit.__fsql_t IS NULL
    AND NOT __fsql_orders_pit.__fsql_p0_ts IS NULL
    AND __fsql_orders_pit.__fsql_p0_ts > __fsql_orders_pit.__fsql_t - 86400000000
    THEN __fsql_orders_pit.__fsql_p0_f0
    ELSE CAST(NULL AS DOUBLE PRECISION)
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
