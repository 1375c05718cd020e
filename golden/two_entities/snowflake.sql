-- fsql 0.2.0 | training set of 'svc' | dialect snowflake | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, merchant_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    DATE_PART(EPOCH_MICROSECOND, event_timestamp) AS __fsql_t
  FROM spine
), __fsql_user_stats_src AS (
  SELECT
    *
  FROM (
    SELECT
      user_id AS __fsql_k0,
      DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
      CAST(NULL AS BIGINT) AS __fsql_c,
      txn_count AS __fsql_f0
    FROM users AS __fsql_s
    CROSS JOIN (
      SELECT
        MIN(__fsql_t) AS __fsql_lo,
        MAX(__fsql_t) AS __fsql_hi
      FROM __fsql_spine
    ) AS __fsql_b
    WHERE
      NOT user_id IS NULL
      AND DATE_PART(EPOCH_MICROSECOND, ts) <= __fsql_b.__fsql_hi
      AND DATE_PART(EPOCH_MICROSECOND, ts) >= __fsql_b.__fsql_lo - 86400000000
  ) AS __fsql_d
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_k0, __fsql_ts
      ORDER BY __fsql_c DESC NULLS LAST, __fsql_f0 DESC NULLS LAST
    ) = 1
), __fsql_merchant_stats_src AS (
  SELECT
    *
  FROM (
    SELECT
      merchant_id AS __fsql_k0,
      DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
      CAST(NULL AS BIGINT) AS __fsql_c,
      risk AS __fsql_f0
    FROM features.merchants AS __fsql_s
    CROSS JOIN (
      SELECT
        MIN(__fsql_t) AS __fsql_lo,
        MAX(__fsql_t) AS __fsql_hi
      FROM __fsql_spine
    ) AS __fsql_b
    WHERE
      NOT merchant_id IS NULL
      AND DATE_PART(EPOCH_MICROSECOND, ts) <= __fsql_b.__fsql_hi
      AND DATE_PART(EPOCH_MICROSECOND, ts) >= __fsql_b.__fsql_lo - 43200000000
  ) AS __fsql_d
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_k0, __fsql_ts
      ORDER BY __fsql_c DESC NULLS LAST, __fsql_f0 DESC NULLS LAST
    ) = 1
)
SELECT
  __fsql_spine.*
  EXCLUDE (__fsql_rid, __fsql_t),
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_user_stats_pit.__fsql_ts IS NULL
    AND __fsql_user_stats_pit.__fsql_ts > __fsql_spine.__fsql_t - 86400000000
    THEN __fsql_user_stats_pit.__fsql_f0
    ELSE CAST(0 AS DECIMAL(38, 0))
  END AS "txn_count",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_merchant_stats_pit.__fsql_ts IS NULL
    AND __fsql_merchant_stats_pit.__fsql_ts > __fsql_spine.__fsql_t - 43200000000
    THEN __fsql_merchant_stats_pit.__fsql_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "merchant_risk"
FROM __fsql_spine
ASOF JOIN __fsql_user_stats_src AS __fsql_user_stats_pit MATCH_CONDITION (__fsql_spine.__fsql_t >= __fsql_user_stats_pit.__fsql_ts)
  ON __fsql_spine.user_id = __fsql_user_stats_pit.__fsql_k0
ASOF JOIN __fsql_merchant_stats_src AS __fsql_merchant_stats_pit MATCH_CONDITION (__fsql_spine.__fsql_t >= __fsql_merchant_stats_pit.__fsql_ts)
  ON __fsql_spine.merchant_id = __fsql_merchant_stats_pit.__fsql_k0
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
