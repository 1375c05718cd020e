-- fsql 0.2.0 | training set of 'svc' | dialect bigquery | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id, user_id, event_timestamp, label) AS __fsql_rid,
    UNIX_MICROS(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_profile_src AS (
  SELECT
    user_id AS __fsql_k0,
    UNIX_MICROS(event_ts) AS __fsql_ts,
    UNIX_MICROS(created_ts) AS __fsql_c,
    score AS __fsql_f0,
    tier AS __fsql_f1
  FROM profiles AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT UNIX_MICROS(event_ts) IS NULL
), __fsql_profile_pit AS (
  SELECT
    __fsql_whole.*,
    __fsql_x.__fsql_w.ts AS __fsql_p0_ts,
    __fsql_x.__fsql_w.v0 AS __fsql_p0_f0,
    __fsql_x.__fsql_w.v1 AS __fsql_p0_f1
  FROM (
    SELECT
      __fsql_whole,
      LAST_VALUE(__fsql_row IGNORE NULLS) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o, __fsql_side, __fsql_c ASC, IS_NAN(__fsql_f0) ASC, __fsql_f0 ASC, __fsql_f1 ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_w
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_side,
        __fsql_c,
        __fsql_f0,
        __fsql_f1,
        NULL AS __fsql_whole,
        STRUCT(__fsql_ts AS ts, __fsql_f0 AS v0, __fsql_f1 AS v1) AS __fsql_row
      FROM __fsql_profile_src
      UNION ALL
      SELECT
        __fsql_q.user_id AS __fsql_k0,
        __fsql_q.__fsql_t AS __fsql_o,
        1 AS __fsql_side,
        NULL AS __fsql_c,
        NULL AS __fsql_f0,
        NULL AS __fsql_f1,
        __fsql_q AS __fsql_whole,
        NULL AS __fsql_row
      FROM __fsql_spine AS __fsql_q
    ) AS __fsql_u
  ) AS __fsql_x
  WHERE
    NOT __fsql_x.__fsql_whole IS NULL
)
SELECT
  __fsql_profile_pit.*
  EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1),
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_p0_f0
    ELSE CAST(NULL AS FLOAT64)
  END AS `score`,
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_p0_f1
    ELSE CAST('none' AS STRING)
  END AS `tier`
FROM __fsql_profile_pit
ORDER BY
  __fsql_profile_pit.__fsql_rid
