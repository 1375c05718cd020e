-- fsql 0.2.0 | training set of 'svc' | dialect duckdb | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST, label NULLS FIRST
    ) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_profile_src AS NOT MATERIALIZED (
  SELECT
    user_id AS __fsql_k0,
    EPOCH_US(event_ts) AS __fsql_ts,
    EPOCH_US(created_ts) AS __fsql_c,
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
    AND EPOCH_US(event_ts) <= __fsql_b.__fsql_hi
    AND EPOCH_US(event_ts) >= __fsql_b.__fsql_lo - 86400000000
), __fsql_profile_pit AS (
  SELECT
    __fsql_m.__fsql_rid,
    __fsql_l.__fsql_ts,
    __fsql_l.__fsql_f0,
    __fsql_l.__fsql_f1
  FROM (
    SELECT
      __fsql_spine.__fsql_rid,
      __fsql_spine.user_id AS __fsql_k0,
      __fsql_n.__fsql_ts
    FROM __fsql_spine
    ASOF JOIN (
      SELECT
        __fsql_k0,
        __fsql_ts
      FROM __fsql_profile_src
    ) AS __fsql_n
      ON __fsql_spine.user_id = __fsql_n.__fsql_k0
      AND __fsql_n.__fsql_ts <= __fsql_spine.__fsql_t
    WHERE
      __fsql_n.__fsql_ts > __fsql_spine.__fsql_t - 86400000000
  ) AS __fsql_m
  INNER JOIN __fsql_profile_src AS __fsql_l
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
    AND NOT __fsql_profile_pit.__fsql_ts IS NULL
    AND __fsql_profile_pit.__fsql_ts > __fsql_spine.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_f0
    ELSE CAST(NULL AS DOUBLE)
  END AS "score",
  CASE
    WHEN NOT __fsql_spine.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_ts IS NULL
    AND __fsql_profile_pit.__fsql_ts > __fsql_spine.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_f1
    ELSE CAST('none' AS TEXT)
  END AS "tier"
FROM __fsql_spine
LEFT JOIN __fsql_profile_pit
  ON __fsql_spine.__fsql_rid = __fsql_profile_pit.__fsql_rid
ORDER BY
  __fsql_spine.__fsql_rid NULLS FIRST
