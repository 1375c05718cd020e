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
    WHERE
      NOT user_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, ts) IS NULL
  ) AS __fsql_d
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_k0, __fsql_ts
      ORDER BY __fsql_c DESC NULLS LAST, __fsql_f0 DESC NULLS LAST
    ) = 1
), __fsql_user_stats_pit AS (
  SELECT
    __fsql_q.*,
    __fsql_e.__fsql_ts AS __fsql_p0_ts,
    __fsql_e.__fsql_f0 AS __fsql_p0_f0
  FROM __fsql_spine AS __fsql_q
  ASOF JOIN __fsql_user_stats_src AS __fsql_e MATCH_CONDITION (__fsql_q.__fsql_t >= __fsql_e.__fsql_ts)
    ON __fsql_q.user_id = __fsql_e.__fsql_k0
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
    WHERE
      NOT merchant_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, ts) IS NULL
  ) AS __fsql_d
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_k0, __fsql_ts
      ORDER BY __fsql_c DESC NULLS LAST, __fsql_f0 DESC NULLS LAST
    ) = 1
), __fsql_merchant_stats_pit AS (
  SELECT
    __fsql_q.*,
    __fsql_e.__fsql_ts AS __fsql_p1_ts,
    __fsql_e.__fsql_f0 AS __fsql_p1_f0
  FROM __fsql_user_stats_pit AS __fsql_q
  ASOF JOIN __fsql_merchant_stats_src AS __fsql_e MATCH_CONDITION (__fsql_q.__fsql_t >= __fsql_e.__fsql_ts)
    ON __fsql_q.merchant_id = __fsql_e.__fsql_k0
)
SELECT
  __fsql_merchant_stats_pit.*
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p1_ts, __fsql_p1_f0),
  CASE
    WHEN NOT __fsql_merchant_stats_pit.__fsql_t IS NULL
    AND NOT __fsql_merchant_stats_pit.__fsql_p0_ts IS NULL
    AND __fsql_merchant_stats_pit.__fsql_p0_ts > __fsql_merchant_stats_pit.__fsql_t - 86400000000
    THEN __fsql_merchant_stats_pit.__fsql_p0_f0
    ELSE CAST(0 AS DECIMAL(38, 0))
  END AS "txn_count",
  CASE
    WHEN NOT __fsql_merchant_stats_pit.__fsql_t IS NULL
    AND NOT __fsql_merchant_stats_pit.__fsql_p1_ts IS NULL
    AND __fsql_merchant_stats_pit.__fsql_p1_ts > __fsql_merchant_stats_pit.__fsql_t - 43200000000
    THEN __fsql_merchant_stats_pit.__fsql_p1_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "merchant_risk"
FROM __fsql_merchant_stats_pit
ORDER BY
  __fsql_merchant_stats_pit.__fsql_rid NULLS FIRST
