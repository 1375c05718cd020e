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
    CROSS JOIN (
      SELECT
        MIN(__fsql_t) AS __fsql_lo,
        MAX(__fsql_t) AS __fsql_hi
      FROM __fsql_spine
    ) AS __fsql_b
    WHERE
      NOT user_id IS NULL
      AND DATE_PART(EPOCH_MICROSECOND, event_ts) <= __fsql_b.__fsql_hi
      AND DATE_PART(EPOCH_MICROSECOND, event_ts) >= __fsql_b.__fsql_lo - 3600000000
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
    AND NOT __fsql_profile_pit.__fsql_ts IS NULL
    AND __fsql_profile_pit.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
    THEN __fsql_profile_pit.__fsql_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "score",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_ts IS NULL
    AND __fsql_profile_pit.__fsql_ts > __fsql_spine.__fsql_t - 3600000000
    THEN __fsql_profile_pit.__fsql_f1
    ELSE CAST('none' AS VARCHAR)
  END AS "tier"
FROM __fsql_spine
ASOF JOIN __fsql_profile_src AS __fsql_profile_pit MATCH_CONDITION (__fsql_spine.__fsql_t >= __fsql_profile_pit.__fsql_ts)
  ON __fsql_spine.user_id = __fsql_profile_pit.__fsql_k0
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
