-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_balance_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM CAST(day AS TIMESTAMP)) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    balance AS __fsql_f0,
    active AS __fsql_f1
  FROM daily AS __fsql_s
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT user_id IS NULL
    AND CAST(EXTRACT(EPOCH FROM CAST(day AS TIMESTAMP)) * 1000000 AS BIGINT) <= __fsql_b.__fsql_hi
    AND CAST(EXTRACT(EPOCH FROM CAST(day AS TIMESTAMP)) * 1000000 AS BIGINT) >= __fsql_b.__fsql_lo - 172800000000
), __fsql_balance_pit AS (
  SELECT
    __fsql_rid,
    __fsql_ts,
    __fsql_f0,
    __fsql_f1
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_l.__fsql_ts,
      __fsql_l.__fsql_f0,
      __fsql_l.__fsql_f1,
      ROW_NUMBER() OVER (
        PARTITION BY __fsql_spine.__fsql_rid
        ORDER BY __fsql_l.__fsql_ts DESC NULLS LAST, __fsql_l.__fsql_c DESC NULLS LAST, __fsql_l.__fsql_f0 DESC NULLS LAST, __fsql_l.__fsql_f1 DESC NULLS LAST
      ) AS _w
    FROM __fsql_spine
    INNER JOIN __fsql_balance_src AS __fsql_l
      ON __fsql_spine.user_id = __fsql_l.__fsql_k0
    WHERE
      __fsql_l.__fsql_ts <= __fsql_spine.__fsql_t
      AND __fsql_l.__fsql_ts > __fsql_spine.__fsql_t - 172800000000
  ) AS _t
  WHERE
    _w = 1
)
SELECT
  __fsql_spine.spine_id,
  __fsql_spine.user_id,
  __fsql_spine.event_timestamp,
  __fsql_spine.label,
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_balance_pit.__fsql_ts IS NULL
    AND __fsql_balance_pit.__fsql_ts > __fsql_spine.__fsql_t - 172800000000
    THEN __fsql_balance_pit.__fsql_f0
    ELSE CAST(NULL AS DECIMAL(12, 2))
  END AS "balance",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_balance_pit.__fsql_ts IS NULL
    AND __fsql_balance_pit.__fsql_ts > __fsql_spine.__fsql_t - 172800000000
    THEN __fsql_balance_pit.__fsql_f1
    ELSE CAST(NULL AS BOOLEAN)
  END AS "active"
FROM __fsql_spine
LEFT JOIN __fsql_balance_pit
  ON __fsql_spine.__fsql_rid = __fsql_balance_pit.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
