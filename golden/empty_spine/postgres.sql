-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_profile_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM event_ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(EXTRACT(EPOCH FROM created_ts) * 1000000 AS BIGINT) AS __fsql_c,
    score AS __fsql_f0,
    tier AS __fsql_f1
  FROM profiles AS __fsql_s
  WHERE
    NOT user_id IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM event_ts) * 1000000 AS BIGINT) IS NULL
), __fsql_profile_pit AS (
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
    LEFT JOIN __fsql_profile_src AS __fsql_e
      ON __fsql_q.user_id = __fsql_e.__fsql_k0
      AND __fsql_e.__fsql_ts <= __fsql_q.__fsql_t
      AND __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 3600000000
  ) AS __fsql_z
  WHERE
    __fsql_z.__fsql_p0_rank = 1
)
SELECT
  __fsql_profile_pit.spine_id,
  __fsql_profile_pit.user_id,
  __fsql_profile_pit.event_timestamp,
  __fsql_profile_pit.label,
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 3600000000
    THEN __fsql_profile_pit.__fsql_p0_f0
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "score",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 3600000000
    THEN __fsql_profile_pit.__fsql_p0_f1
    ELSE CAST('none' AS TEXT)
  END AS "tier"
FROM __fsql_profile_pit
ORDER BY
  __fsql_profile_pit.__fsql_rid NULLS FIRST
