-- fsql 0.2.0 | training set of 'svc' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY spine_id NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_profile_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    score AS __fsql_f0,
    tag AS __fsql_f1
  FROM profiles AS __fsql_s
  WHERE
    NOT user_id IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
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
      AND __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 86400000000
  ) AS __fsql_z
  WHERE
    __fsql_z.__fsql_p0_rank = 1
), __fsql_stats_src AS (
  SELECT
    user_id AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    x AS __fsql_x0
  FROM events AS __fsql_s
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT user_id IS NULL
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) <= __fsql_b.__fsql_hi
    AND CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) >= __fsql_b.__fsql_lo - 86400000000
), __fsql_stats_frames AS (
  SELECT
    __fsql_rid,
    __fsql_a0,
    __fsql_a1,
    __fsql_a2,
    __fsql_a3
  FROM (
    SELECT
      __fsql_rid,
      MIN(__fsql_x0) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a0,
      MAX(__fsql_x0) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o NULLS FIRST
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_a1,
      CASE
        WHEN SUM(__fsql_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) IS NULL
        THEN CAST(NULL AS DOUBLE PRECISION)
        WHEN SUM(__fsql_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) = CAST('NaN' AS DOUBLE PRECISION)
        THEN SUM(__fsql_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        )
        WHEN ABS(
          SUM(__fsql_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          )
        ) > 8.777798510069901e+304
        THEN CASE
          WHEN SUM(__fsql_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) > 0
          THEN CAST('inf' AS DOUBLE PRECISION)
          ELSE CAST('-inf' AS DOUBLE PRECISION)
        END
        ELSE SUM(__fsql_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) * 2048.0
      END AS __fsql_a2,
      CAST(CASE
        WHEN SUM(__fsql_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) IS NULL
        THEN CAST(NULL AS DOUBLE PRECISION)
        WHEN SUM(__fsql_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) = CAST('NaN' AS DOUBLE PRECISION)
        THEN SUM(__fsql_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        )
        WHEN ABS(
          SUM(__fsql_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          )
        ) = CAST('inf' AS DOUBLE PRECISION)
        THEN SUM(__fsql_x0 * 0.00048828125) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o NULLS FIRST
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        )
        ELSE (
          CAST(SUM(__fsql_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) AS DOUBLE PRECISION) / NULLIF(
            COUNT(__fsql_x0) OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_o NULLS FIRST
              RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
            ),
            0
          )
        ) * 2048.0
      END AS DOUBLE PRECISION) AS __fsql_a3
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        __fsql_c,
        CAST(NULL AS BIGINT) AS __fsql_rid,
        __fsql_x0
      FROM __fsql_stats_src
      UNION ALL
      SELECT
        user_id AS __fsql_k0,
        __fsql_t AS __fsql_o,
        NULL AS __fsql_c,
        __fsql_rid,
        NULL AS __fsql_x0
      FROM __fsql_spine
      WHERE
        NOT __fsql_t IS NULL AND NOT user_id IS NULL
    ) AS __fsql_u
  ) AS __fsql_w
  WHERE
    NOT __fsql_rid IS NULL
), __fsql_stats_good AS (
  SELECT
    __fsql_rid,
    user_id AS __fsql_k0,
    __fsql_t
  FROM __fsql_spine
  WHERE
    NOT __fsql_t IS NULL AND NOT user_id IS NULL
), __fsql_stats_isl AS (
  SELECT
    *,
    LAG(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x0 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_prev0,
    LEAD(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x0 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_next0
  FROM __fsql_stats_src
), __fsql_stats_run AS (
  SELECT
    __fsql_rid,
    __fsql_wi,
    COUNT(__fsql_start0_86400000000) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_start0_86400000000,
    COUNT(__fsql_end0_86400000000) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_end0_86400000000
  FROM (
    SELECT
      __fsql_k0,
      __fsql_ts AS __fsql_o,
      0 AS __fsql_kind,
      CAST(NULL AS BIGINT) AS __fsql_rid,
      CAST(NULL AS INT) AS __fsql_wi,
      CASE
        WHEN NOT __fsql_x0 IS NULL
        AND (
          __fsql_prev0 IS NULL OR __fsql_ts - __fsql_prev0 >= 86400000000
        )
        THEN 1
      END AS __fsql_start0_86400000000,
      CASE
        WHEN NOT __fsql_x0 IS NULL
        AND (
          __fsql_next0 IS NULL OR __fsql_next0 - __fsql_ts >= 86400000000
        )
        THEN 1
      END AS __fsql_end0_86400000000
    FROM __fsql_stats_isl
    UNION ALL
    SELECT
      __fsql_g.__fsql_k0,
      COALESCE(__fsql_g.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
      1 AS __fsql_kind,
      __fsql_g.__fsql_rid,
      __fsql_w.__fsql_wi,
      NULL AS __fsql_start0_86400000000,
      NULL AS __fsql_end0_86400000000
    FROM __fsql_stats_good AS __fsql_g
    CROSS JOIN (VALUES
      (0, 0),
      (1, 86400000000)) AS __fsql_w(__fsql_wi, __fsql_us)
  ) AS __fsql_u
), __fsql_stats_cnt AS (
  SELECT
    __fsql_rid,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_start0_86400000000 END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_end0_86400000000 END) AS __fsql_a4
  FROM __fsql_stats_run
  WHERE
    NOT __fsql_rid IS NULL
  GROUP BY
    __fsql_rid
), __fsql_stats_nav AS (
  SELECT
    __fsql_rid,
    __fsql_a5,
    __fsql_a6
  FROM (
    SELECT
      __fsql_rid,
      __fsql_wi,
      FIRST_VALUE(CASE WHEN __fsql_fo0 <= __fsql_t THEN __fsql_fv0 END) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_wi = 1 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_a5,
      FIRST_VALUE(CASE WHEN __fsql_lo0 > __fsql_t - 86400000000 THEN __fsql_lv0 END) OVER (
        PARTITION BY __fsql_rid
        ORDER BY CASE WHEN __fsql_wi = 0 THEN 0 ELSE 1 END NULLS FIRST
      ) AS __fsql_a6
    FROM (
      SELECT
        __fsql_rid,
        __fsql_wi,
        __fsql_t,
        FIRST_VALUE(__fsql_x0) OVER (
          PARTITION BY __fsql_k0, __fsql_g0
          ORDER BY CASE WHEN __fsql_x0 IS NULL THEN 1 ELSE 0 END NULLS FIRST
        ) AS __fsql_lv0,
        MAX(CASE WHEN NOT __fsql_x0 IS NULL THEN __fsql_o END) OVER (PARTITION BY __fsql_k0, __fsql_g0) AS __fsql_lo0,
        FIRST_VALUE(__fsql_x0) OVER (
          PARTITION BY __fsql_k0, __fsql_g0 - CASE WHEN NOT __fsql_x0 IS NULL THEN 1 ELSE 0 END
          ORDER BY CASE WHEN __fsql_x0 IS NULL THEN 1 ELSE 0 END NULLS FIRST
        ) AS __fsql_fv0,
        MAX(CASE WHEN NOT __fsql_x0 IS NULL THEN __fsql_o END) OVER (
          PARTITION BY __fsql_k0, __fsql_g0 - CASE WHEN NOT __fsql_x0 IS NULL THEN 1 ELSE 0 END
        ) AS __fsql_fo0
      FROM (
        SELECT
          __fsql_k0,
          __fsql_o,
          __fsql_rid,
          __fsql_wi,
          __fsql_t,
          __fsql_x0,
          COUNT(__fsql_x0) OVER (
            ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x0 NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_g0
        FROM (
          SELECT
            __fsql_k0,
            __fsql_ts AS __fsql_o,
            0 AS __fsql_side,
            __fsql_c,
            CAST(NULL AS BIGINT) AS __fsql_rid,
            CAST(NULL AS INT) AS __fsql_wi,
            CAST(NULL AS BIGINT) AS __fsql_t,
            __fsql_x0
          FROM __fsql_stats_src
          UNION ALL
          SELECT
            __fsql_spine.user_id AS __fsql_k0,
            COALESCE(__fsql_spine.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
            1 AS __fsql_side,
            NULL AS __fsql_c,
            __fsql_spine.__fsql_rid,
            __fsql_w.__fsql_wi AS __fsql_wi,
            __fsql_spine.__fsql_t,
            NULL AS __fsql_x0
          FROM __fsql_spine
          CROSS JOIN (VALUES
            (0, 0),
            (1, 86400000000)) AS __fsql_w(__fsql_wi, __fsql_us)
          WHERE
            NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
        ) AS __fsql_u
      ) AS __fsql_n
    ) AS __fsql_p
    WHERE
      NOT __fsql_rid IS NULL
  ) AS __fsql_q
  WHERE
    __fsql_wi = 0
)
SELECT
  __fsql_profile_pit.spine_id,
  __fsql_profile_pit.user_id,
  __fsql_profile_pit.event_timestamp,
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_p0_f0
    ELSE CAST('NaN' AS DOUBLE PRECISION)
  END AS "score",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_p0_f1
    ELSE CAST(NULL AS TEXT)
  END AS "tag",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN __fsql_stats_frames.__fsql_a0
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "x_min",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN __fsql_stats_frames.__fsql_a1
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "x_max",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN COALESCE(__fsql_stats_frames.__fsql_a2, CAST('inf' AS DOUBLE PRECISION))
    ELSE CAST('inf' AS DOUBLE PRECISION)
  END AS "x_sum",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN __fsql_stats_frames.__fsql_a3
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "x_avg",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN COALESCE(__fsql_stats_cnt.__fsql_a4, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "x_distinct",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN COALESCE(__fsql_stats_nav.__fsql_a5, CAST('-inf' AS DOUBLE PRECISION))
    ELSE CAST('-inf' AS DOUBLE PRECISION)
  END AS "x_first",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN __fsql_stats_nav.__fsql_a6
    ELSE CAST(NULL AS DOUBLE PRECISION)
  END AS "x_last"
FROM __fsql_profile_pit
LEFT JOIN __fsql_stats_frames
  ON __fsql_profile_pit.__fsql_rid = __fsql_stats_frames.__fsql_rid
LEFT JOIN __fsql_stats_cnt
  ON __fsql_profile_pit.__fsql_rid = __fsql_stats_cnt.__fsql_rid
LEFT JOIN __fsql_stats_nav
  ON __fsql_profile_pit.__fsql_rid = __fsql_stats_nav.__fsql_rid
ORDER BY
  __fsql_profile_pit.__fsql_rid NULLS FIRST
