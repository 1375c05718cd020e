-- fsql 0.2.0 | training set of 'svc' | dialect snowflake | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    DATE_PART(EPOCH_MICROSECOND, event_timestamp) AS __fsql_t
  FROM spine
), __fsql_profile_src AS (
  SELECT
    *
  FROM (
    SELECT
      user_id AS __fsql_k0,
      DATE_PART(EPOCH_MICROSECOND, event_ts) AS __fsql_ts,
      DATE_PART(EPOCH_MICROSECOND, created_ts) AS __fsql_c,
      score AS __fsql_f0,
      tier AS __fsql_f1
    FROM profiles AS __fsql_s
    WHERE
      NOT user_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, event_ts) IS NULL
  ) AS __fsql_d
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_k0, __fsql_ts
      ORDER BY __fsql_c DESC NULLS LAST, __fsql_f0 DESC NULLS LAST, __fsql_f1 DESC NULLS LAST
    ) = 1
), __fsql_profile_pit AS (
  SELECT
    __fsql_q.*,
    __fsql_e.__fsql_ts AS __fsql_p0_ts,
    __fsql_e.__fsql_f0 AS __fsql_p0_f0,
    __fsql_e.__fsql_f1 AS __fsql_p0_f1
  FROM __fsql_spine AS __fsql_q
  ASOF JOIN __fsql_profile_src AS __fsql_e MATCH_CONDITION (__fsql_q.__fsql_t >= __fsql_e.__fsql_ts)
    ON __fsql_q.user_id = __fsql_e.__fsql_k0
)
SELECT
  __fsql_profile_pit.*
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1),
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_p0_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "score",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_p0_f1
    ELSE CAST('none' AS VARCHAR)
  END AS "tier"
FROM __fsql_profile_pit
ORDER BY
  __fsql_profile_pit.__fsql_rid NULLS FIRST
