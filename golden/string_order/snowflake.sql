-- fsql 0.2.0 | training set of 'svc' | dialect snowflake | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY code NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST) AS __fsql_rid,
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
      tier AS __fsql_f0,
      score AS __fsql_f1
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
), __fsql_tags_src AS (
  SELECT
    user_id AS __fsql_k0,
    DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
    DATE_PART(EPOCH_MICROSECOND, created) AS __fsql_c,
    tag AS __fsql_x0
  FROM events AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, ts) IS NULL
), __fsql_tags_link AS (
  SELECT
    *
    EXCLUDE (__fsql_k0, __fsql_ts, __fsql_c, __fsql_x0, __fsql_mt, __fsql_wi, __fsql_o, __fsql_side, __fsql_klo, __fsql_khi, __fsql_lv0, __fsql_lo0, __fsql_fv0, __fsql_fo0, __fsql_prev0, __fsql_next0, __fsql_start0_86400000000, __fsql_end0_86400000000)
  FROM (
    SELECT
      *,
      __fsql_start0_86400000000 - FIRST_VALUE(__fsql_end0_86400000000) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_wi = 1 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_p1_a4,
      FIRST_VALUE(CASE WHEN __fsql_fo0 <= __fsql_t THEN __fsql_fv0 END) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_wi = 2 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_p1_a2,
      __fsql_lv0 AS __fsql_p1_a3
    FROM (
      SELECT
        *,
        COUNT(
          CASE
            WHEN NOT __fsql_x0 IS NULL
            AND (
              __fsql_prev0 IS NULL OR __fsql_ts - __fsql_prev0 >= 86400000000
            )
            THEN 1
          END
        ) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_start0_86400000000,
        COUNT(
          CASE
            WHEN NOT __fsql_x0 IS NULL
            AND (
              __fsql_next0 IS NULL OR __fsql_next0 - __fsql_ts >= 86400000000
            )
            THEN 1
          END
        ) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_end0_86400000000
      FROM (
        SELECT
          *,
          LAST_VALUE(__fsql_x0) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x0 NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_lv0,
          LAST_VALUE(CASE WHEN NOT __fsql_x0 IS NULL THEN __fsql_o END) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x0 NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_lo0,
          FIRST_VALUE(__fsql_x0) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x0 NULLS FIRST
            ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
          ) AS __fsql_fv0,
          FIRST_VALUE(CASE WHEN NOT __fsql_x0 IS NULL THEN __fsql_o END) IGNORE NULLS OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x0 NULLS FIRST
            ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
          ) AS __fsql_fo0,
          LAG(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x0 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_prev0,
          LEAD(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x0 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_next0
        FROM (
          SELECT
            __fsql_j.*,
            __fsql_w.__fsql_wi,
            COALESCE(__fsql_ts, __fsql_t - __fsql_us, -4611686018427387904) AS __fsql_o,
            CASE WHEN __fsql_rid IS NULL THEN 0 ELSE 1 END AS __fsql_side
          FROM (
            SELECT
              *,
              MIN(__fsql_x0) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
              ) AS __fsql_p1_a0,
              MAX(__fsql_x0) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt NULLS FIRST
                RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
              ) AS __fsql_p1_a1
            FROM (
              SELECT
                *
              FROM (
                SELECT
                  *,
                  MIN(__fsql_t) OVER (PARTITION BY __fsql_k0) AS __fsql_klo,
                  MAX(__fsql_t) OVER (PARTITION BY __fsql_k0) AS __fsql_khi
                FROM (
                  SELECT
                    __fsql_q.*,
                    COALESCE(__fsql_q.user_id, __fsql_e.__fsql_k0) AS __fsql_k0,
                    __fsql_e.__fsql_ts,
                    __fsql_e.__fsql_c,
                    __fsql_e.__fsql_x0,
                    COALESCE(__fsql_q.__fsql_t, __fsql_e.__fsql_ts) AS __fsql_mt
                  FROM __fsql_profile_pit AS __fsql_q
                  FULL JOIN (
                    SELECT
                      __fsql_k0,
                      __fsql_ts,
                      __fsql_c,
                      CAST(NULL AS BIGINT) AS __fsql_none,
                      __fsql_x0
                    FROM __fsql_tags_src
                  ) AS __fsql_e
                    ON __fsql_q.__fsql_rid = __fsql_e.__fsql_none
                ) AS __fsql_r
              ) AS __fsql_rp
              WHERE
                NOT __fsql_rid IS NULL OR (
                  __fsql_ts <= __fsql_khi
                )
            ) AS __fsql_m
          ) AS __fsql_j
          CROSS JOIN (VALUES
            (0, 0),
            (1, 86400000000),
            (2, NULL)) AS __fsql_w(__fsql_wi, __fsql_us)
          WHERE
            __fsql_wi = 0 OR NOT __fsql_rid IS NULL AND NOT __fsql_t IS NULL
        ) AS __fsql_st
      ) AS __fsql_wn
    ) AS __fsql_rc
    WHERE
      NOT __fsql_rid IS NULL
  ) AS __fsql_pk
  WHERE
    __fsql_wi = 0
)
SELECT
  __fsql_tags_link.*
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1, __fsql_p1_a0, __fsql_p1_a1, __fsql_p1_a2, __fsql_p1_a3, __fsql_p1_a4),
  CASE
    WHEN NOT __fsql_tags_link.__fsql_t IS NULL
    AND NOT __fsql_tags_link.__fsql_p0_ts IS NULL
    AND __fsql_tags_link.__fsql_p0_ts > __fsql_tags_link.__fsql_t - 86400000000
    THEN __fsql_tags_link.__fsql_p0_f0
    ELSE CAST(NULL AS VARCHAR)
  END AS "tier",
  CASE
    WHEN NOT __fsql_tags_link.__fsql_t IS NULL
    AND NOT __fsql_tags_link.__fsql_p0_ts IS NULL
    AND __fsql_tags_link.__fsql_p0_ts > __fsql_tags_link.__fsql_t - 86400000000
    THEN __fsql_tags_link.__fsql_p0_f1
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "score",
  CASE
    WHEN NOT __fsql_tags_link.__fsql_t IS NULL AND NOT __fsql_tags_link.user_id IS NULL
    THEN __fsql_tags_link.__fsql_p1_a0
    ELSE CAST(NULL AS VARCHAR)
  END AS "tag_min_1d",
  CASE
    WHEN NOT __fsql_tags_link.__fsql_t IS NULL AND NOT __fsql_tags_link.user_id IS NULL
    THEN __fsql_tags_link.__fsql_p1_a1
    ELSE CAST(NULL AS VARCHAR)
  END AS "tag_max_1d",
  CASE
    WHEN NOT __fsql_tags_link.__fsql_t IS NULL AND NOT __fsql_tags_link.user_id IS NULL
    THEN __fsql_tags_link.__fsql_p1_a2
    ELSE CAST(NULL AS VARCHAR)
  END AS "tag_first_lifetime",
  CASE
    WHEN NOT __fsql_tags_link.__fsql_t IS NULL AND NOT __fsql_tags_link.user_id IS NULL
    THEN __fsql_tags_link.__fsql_p1_a3
    ELSE CAST(NULL AS VARCHAR)
  END AS "tag_last_lifetime",
  CASE
    WHEN NOT __fsql_tags_link.__fsql_t IS NULL AND NOT __fsql_tags_link.user_id IS NULL
    THEN COALESCE(__fsql_tags_link.__fsql_p1_a4, 0)
    ELSE CAST(NULL AS DECIMAL(38, 0))
  END AS "tag_count_distinct_1d"
FROM __fsql_tags_link
ORDER BY
  __fsql_tags_link.__fsql_rid NULLS FIRST
