-- fsql 0.2.0 | training set of 'svc' | dialect duckdb | cut inclusive | created cutoff off | names short | env default
WITH RECURSIVE __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY code NULLS FIRST, user_id NULLS FIRST, event_timestamp NULLS FIRST) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_profile_src AS NOT MATERIALIZED (
  SELECT
    user_id AS __fsql_k0,
    EPOCH_US(event_ts) AS __fsql_ts,
    EPOCH_US(created_ts) AS __fsql_c,
    tier AS __fsql_f0,
    score AS __fsql_f1
  FROM profiles AS __fsql_s
  WHERE
    NOT user_id IS NULL AND NOT EPOCH_US(event_ts) IS NULL
), __fsql_profile_pit AS (
  SELECT
    __fsql_m.*,
    __fsql_e.__fsql_f0 AS __fsql_p0_f0,
    __fsql_e.__fsql_f1 AS __fsql_p0_f1
  FROM (
    SELECT
      __fsql_q.*,
      __fsql_n.__fsql_ts AS __fsql_p0_ts
    FROM __fsql_spine AS __fsql_q
    ASOF LEFT JOIN (
      SELECT
        __fsql_k0,
        __fsql_ts
      FROM __fsql_profile_src
    ) AS __fsql_n
      ON __fsql_q.user_id = __fsql_n.__fsql_k0 AND __fsql_n.__fsql_ts <= __fsql_q.__fsql_t
  ) AS __fsql_m
  LEFT JOIN __fsql_profile_src AS __fsql_e
    ON __fsql_m.user_id = __fsql_e.__fsql_k0
    AND __fsql_e.__fsql_ts = __fsql_m.__fsql_p0_ts
    AND __fsql_m.__fsql_p0_ts > __fsql_m.__fsql_t - 86400000000
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_m.__fsql_rid
      ORDER BY __fsql_e.__fsql_c DESC, __fsql_e.__fsql_f0 DESC, __fsql_e.__fsql_f1 DESC
    ) = 1
), __fsql_tags_src AS (
  SELECT
    user_id AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    EPOCH_US(created) AS __fsql_c,
    tag AS __fsql_x0
  FROM events AS __fsql_s
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT user_id IS NULL
    AND EPOCH_US(ts) <= __fsql_b.__fsql_hi
    AND NOT EPOCH_US(ts) IS NULL
), __fsql_tags_good AS (
  SELECT
    __fsql_rid,
    user_id AS __fsql_k0,
    __fsql_t
  FROM __fsql_spine
  WHERE
    NOT __fsql_t IS NULL AND NOT user_id IS NULL
), __fsql_tags_isl AS (
  SELECT
    *,
    LAG(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x0 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_prev0,
    LEAD(__fsql_ts) OVER (PARTITION BY __fsql_k0, __fsql_x0 ORDER BY __fsql_ts NULLS FIRST) AS __fsql_next0
  FROM __fsql_tags_src
), __fsql_tags_run AS MATERIALIZED (
  SELECT
    __fsql_rid,
    __fsql_wi,
    COUNT(__fsql_pos) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_pos,
    COUNT(__fsql_n0) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_n0,
    COUNT(__fsql_start0_86400000000) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_start0_86400000000,
    COUNT(__fsql_end0_86400000000) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_end0_86400000000,
    __fsql_val0,
    __fsql_rankv
  FROM (
    SELECT
      __fsql_k0,
      __fsql_ts AS __fsql_o,
      0 AS __fsql_kind,
      CAST(NULL AS BIGINT) AS __fsql_rid,
      CAST(NULL AS INT) AS __fsql_wi,
      1 AS __fsql_pos,
      __fsql_x0 AS __fsql_n0,
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
      END AS __fsql_end0_86400000000,
      __fsql_x0 AS __fsql_val0,
      __fsql_c,
      __fsql_x0 AS __fsql_rankv
    FROM __fsql_tags_isl
    UNION ALL
    SELECT
      __fsql_g.__fsql_k0,
      COALESCE(__fsql_g.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
      1 AS __fsql_kind,
      __fsql_g.__fsql_rid,
      __fsql_w.__fsql_wi,
      NULL AS __fsql_pos,
      NULL AS __fsql_n0,
      NULL AS __fsql_start0_86400000000,
      NULL AS __fsql_end0_86400000000,
      NULL AS __fsql_val0,
      NULL AS __fsql_c,
      NULL AS __fsql_rankv
    FROM __fsql_tags_good AS __fsql_g
    CROSS JOIN (VALUES
      (0, 0),
      (1, 86400000000),
      (2, NULL)) AS __fsql_w(__fsql_wi, __fsql_us)
  ) AS __fsql_u
), __fsql_tags_cnt AS (
  SELECT
    __fsql_rid,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n0 END) - MAX(CASE WHEN __fsql_wi = 2 THEN __fsql_n0 END) AS __fsql_n2,
    MAX(CASE WHEN __fsql_wi = 2 THEN __fsql_n0 END) + 1 AS __fsql_r2,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n0 END) - MAX(CASE WHEN __fsql_wi = 2 THEN __fsql_n0 END) AS __fsql_n3,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n0 END) AS __fsql_r3,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_start0_86400000000 END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_end0_86400000000 END) AS __fsql_a4,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) AS __fsql_hi,
    MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_pos END) AS __fsql_lo1
  FROM __fsql_tags_run
  WHERE
    NOT __fsql_rid IS NULL
  GROUP BY
    __fsql_rid
), __fsql_tags_blocks AS (
  SELECT
    0 AS __fsql_l,
    __fsql_pos - 1 AS __fsql_b,
    __fsql_val0 AS __fsql_min0,
    __fsql_val0 AS __fsql_max0
  FROM __fsql_tags_run
  WHERE
    __fsql_rid IS NULL
  UNION ALL
  SELECT
    __fsql_l + 1 AS __fsql_l,
    (
      __fsql_b >> 1
    ) AS __fsql_b,
    MIN(__fsql_min0) AS __fsql_min0,
    MAX(__fsql_max0) AS __fsql_max0
  FROM __fsql_tags_blocks
  WHERE
    __fsql_l < 39
  GROUP BY
    __fsql_l + 1,
    (
      __fsql_b >> 1
    )
), __fsql_tags_cover AS (
  SELECT
    __fsql_rid,
    __fsql_wi,
    __fsql_l,
    CASE WHEN __fsql_side = 0 THEN __fsql_a ELSE __fsql_bb - 1 END AS __fsql_b
  FROM (
    SELECT
      __fsql_rid,
      __fsql_wi,
      __fsql_l,
      (
        __fsql_lo + (
          1 << __fsql_l
        ) - 1 >> __fsql_l
      ) AS __fsql_a,
      (
        __fsql_hi >> __fsql_l
      ) AS __fsql_bb,
      (
        __fsql_lo + (
          2 << __fsql_l
        ) - 1 >> (
          __fsql_l + 1
        )
      ) AS __fsql_a2,
      (
        __fsql_hi >> (
          __fsql_l + 1
        )
      ) AS __fsql_b2
    FROM (
      SELECT
        __fsql_rid,
        __fsql_wi,
        __fsql_lo,
        __fsql_hi,
        UNNEST(RANGE(0, CAST(FLOOR(LOG(2, __fsql_hi - __fsql_lo)) AS INT) + 1)) AS __fsql_l
      FROM (
        SELECT
          __fsql_rid,
          1 AS __fsql_wi,
          __fsql_lo1 AS __fsql_lo,
          __fsql_hi
        FROM __fsql_tags_cnt
        WHERE
          __fsql_hi > __fsql_lo1
      ) AS __fsql_r
    ) AS __fsql_lv
  ) AS __fsql_bounds
  CROSS JOIN (VALUES
    (0),
    (1)) AS __fsql_sides(__fsql_side)
  WHERE
    (
      __fsql_side = 0 AND (
        __fsql_a < __fsql_bb AND __fsql_a < 2 * __fsql_a2
      )
    )
    OR (
      __fsql_side = 1
      AND (
        __fsql_bb - 1 >= __fsql_a
        AND __fsql_bb - 1 >= 2 * __fsql_b2
        AND NOT (
          __fsql_bb - 1 = __fsql_a
          AND (
            __fsql_a < __fsql_bb AND __fsql_a < 2 * __fsql_a2
          )
        )
      )
    )
), __fsql_tags_bk AS (
  SELECT
    __fsql_q.__fsql_rid,
    MIN(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_min0 END) AS __fsql_a0,
    MAX(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_max0 END) AS __fsql_a1
  FROM __fsql_tags_cover AS __fsql_q
  JOIN __fsql_tags_blocks AS __fsql_blk
    ON __fsql_blk.__fsql_l = __fsql_q.__fsql_l
    AND __fsql_blk.__fsql_b = __fsql_q.__fsql_b
  GROUP BY
    __fsql_q.__fsql_rid
), __fsql_tags_ranked AS (
  SELECT
    __fsql_n0 AS __fsql_rank,
    __fsql_rankv AS __fsql_v
  FROM __fsql_tags_run
  WHERE
    __fsql_rid IS NULL AND NOT __fsql_rankv IS NULL
), __fsql_tags_rk AS (
  SELECT
    __fsql_q.__fsql_rid,
    MAX(CASE WHEN __fsql_q.__fsql_j = 2 THEN __fsql_e.__fsql_v END) AS __fsql_a2,
    MAX(CASE WHEN __fsql_q.__fsql_j = 3 THEN __fsql_e.__fsql_v END) AS __fsql_a3
  FROM (
    SELECT
      __fsql_rid,
      2 AS __fsql_j,
      __fsql_r2 AS __fsql_rank
    FROM __fsql_tags_cnt
    WHERE
      __fsql_n2 > 0
    UNION ALL
    SELECT
      __fsql_rid,
      3 AS __fsql_j,
      __fsql_r3 AS __fsql_rank
    FROM __fsql_tags_cnt
    WHERE
      __fsql_n3 > 0
  ) AS __fsql_q
  JOIN __fsql_tags_ranked AS __fsql_e
    ON __fsql_e.__fsql_rank = __fsql_q.__fsql_rank
  GROUP BY
    __fsql_q.__fsql_rid
)
SELECT
  __fsql_profile_pit.*
  EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1),
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_p0_f0
    ELSE CAST(NULL AS TEXT)
  END AS "tier",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.__fsql_p0_ts IS NULL
    AND __fsql_profile_pit.__fsql_p0_ts > __fsql_profile_pit.__fsql_t - 86400000000
    THEN __fsql_profile_pit.__fsql_p0_f1
    ELSE CAST(NULL AS BIGINT)
  END AS "score",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN __fsql_tags_bk.__fsql_a0
    ELSE CAST(NULL AS TEXT)
  END AS "tag_min_1d",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN __fsql_tags_bk.__fsql_a1
    ELSE CAST(NULL AS TEXT)
  END AS "tag_max_1d",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN __fsql_tags_rk.__fsql_a2
    ELSE CAST(NULL AS TEXT)
  END AS "tag_first_lifetime",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN __fsql_tags_rk.__fsql_a3
    ELSE CAST(NULL AS TEXT)
  END AS "tag_last_lifetime",
  CASE
    WHEN NOT __fsql_profile_pit.__fsql_t IS NULL
    AND NOT __fsql_profile_pit.user_id IS NULL
    THEN COALESCE(__fsql_tags_cnt.__fsql_a4, 0)
    ELSE CAST(NULL AS BIGINT)
  END AS "tag_count_distinct_1d"
FROM __fsql_profile_pit
LEFT JOIN __fsql_tags_cnt
  ON __fsql_profile_pit.__fsql_rid = __fsql_tags_cnt.__fsql_rid
LEFT JOIN __fsql_tags_bk
  ON __fsql_profile_pit.__fsql_rid = __fsql_tags_bk.__fsql_rid
LEFT JOIN __fsql_tags_rk
  ON __fsql_profile_pit.__fsql_rid = __fsql_tags_rk.__fsql_rid
ORDER BY
  __fsql_profile_pit.__fsql_rid NULLS FIRST
