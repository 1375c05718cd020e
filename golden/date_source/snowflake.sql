-- fsql 0.2.0 | training set of 'svc' | dialect snowflake | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    DATE_PART(EPOCH_MICROSECOND, event_timestamp) AS __fsql_t
  FROM spine
), __fsql_balance_src AS (
  SELECT
    *
  FROM (
    SELECT
      user_id AS __fsql_k0,
      DATE_PART(EPOCH_MICROSECOND, CAST(day AS TIMESTAMPNTZ)) AS __fsql_ts,
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
      AND DATE_PART(EPOCH_MICROSECOND, CAST(day AS TIMESTAMPNTZ)) <= __fsql_b.__fsql_hi
      AND DATE_PART(EPOCH_MICROSECOND, CAST(day AS TIMESTAMPNTZ)) >= __fsql_b.__fsql_lo - 172800000000
  ) AS __fsql_d
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_k0, __fsql_ts
      ORDER BY __fsql_c DESC NULLS LAST, __fsql_f0 DESC NULLS LAST, __fsql_f1 DESC NULLS LAST
    ) = 1
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
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
ASOF JOIN __fsql_balance_src AS __fsql_balance_pit MATCH_CONDITION (__fsql_spine.__fsql_t >= __fsql_balance_pit.__fsql_ts)
  ON __fsql_spine.user_id = __fsql_balance_pit.__fsql_k0
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
