-- fsql materialization as of 2024-01-01T03:00:00+00:00 | dialect duckdb
-- view sums -> sums_latest (definition a541c32db1c13db7)
CREATE TABLE IF NOT EXISTS fsql_materializations (
  run_id TEXT,
  view_name TEXT,
  definition_hash TEXT,
  end_time TIMESTAMP,
  end_time_us BIGINT,
  created_watermark_us BIGINT,
  full_refresh BOOLEAN,
  rows_inserted BIGINT,
  rows_updated BIGINT,
  rows_deleted BIGINT,
  started_at TIMESTAMP,
  finished_at TIMESTAMP
);
CREATE OR REPLACE TABLE sums_latest (
  "user_id" BIGINT NOT NULL,
  "sum_1s" BIGINT,
  "sum_1d" BIGINT,
  "sum_lifetime" DECIMAL(30, 0),
  "max_1d" BIGINT,
  "last_val" BIGINT,
  "__fsql_s__sum_lifetime" DECIMAL(30, 0),
  "__fsql_r__last_val" BIGINT,
  "__fsql_rt__last_val" TIMESTAMP,
  "__fsql_se" BIGINT,
  "feature_timestamp" TIMESTAMP,
  "created_timestamp" TIMESTAMP,
  "materialized_at" TIMESTAMP,
  PRIMARY KEY ("user_id")
);
BEGIN;
INSERT INTO fsql_materializations (
  run_id,
  view_name,
  definition_hash,
  end_time,
  end_time_us,
  created_watermark_us,
  full_refresh,
  rows_inserted,
  rows_updated,
  rows_deleted,
  started_at,
  finished_at
)
SELECT
  'a1ab087b7278a1813aae5c541109304d',
  'sums',
  'a541c32db1c13db7',
  CAST('2024-01-01 03:00:00.000000' AS TIMESTAMP),
  1704078000000000,
  CAST(NULL AS BIGINT),
  TRUE,
  CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT),
  CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP),
  CAST(NULL AS TIMESTAMP);
CREATE OR REPLACE TEMPORARY TABLE __fsql_keys AS
SELECT DISTINCT
  user_id AS user_id
FROM events AS __fsql_s
WHERE
  NOT user_id IS NULL;
CREATE OR REPLACE TEMPORARY TABLE __fsql_new AS
SELECT
  __fsql_p.user_id AS "user_id",
  __fsql_p."sum_1s" AS "sum_1s",
  __fsql_p."sum_1d" AS "sum_1d",
  __fsql_p."sum_lifetime" AS "sum_lifetime",
  __fsql_p."max_1d" AS "max_1d",
  __fsql_p."last_val" AS "last_val",
  __fsql_p."__fsql_s__sum_lifetime" AS "__fsql_s__sum_lifetime",
  __fsql_p."__fsql_r__last_val" AS "__fsql_r__last_val",
  __fsql_p."__fsql_rt__last_val" AS "__fsql_rt__last_val",
  __fsql_p."__fsql_se" AS "__fsql_se",
  CAST(__fsql_p."__fsql_winner_ts" AS TIMESTAMP) AS "feature_timestamp",
  CAST(NULL AS TIMESTAMP) AS "created_timestamp",
  CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP) AS "materialized_at",
  __fsql_p."__fsql_events" = 0 AS __fsql_absent,
  EPOCH_US(CAST(__fsql_p."__fsql_winner_ts" AS TIMESTAMP)) AS __fsql_ts_us,
  EPOCH_US(CAST(NULL AS TIMESTAMP)) AS __fsql_c_us
FROM (
  WITH RECURSIVE __fsql_spine AS (
    SELECT
      *,
      ROW_NUMBER() OVER (ORDER BY user_id NULLS FIRST, __fsql_as_of NULLS FIRST) AS __fsql_rid,
      EPOCH_US(__fsql_as_of) AS __fsql_t
    FROM (
      SELECT
        user_id,
        CAST('2024-01-01 03:00:00.000000' AS TIMESTAMP) AS __fsql_as_of
      FROM __fsql_keys
    )
  ), __fsql_sums_src AS (
    SELECT
      user_id AS __fsql_k0,
      EPOCH_US(ts) AS __fsql_ts,
      CAST(NULL AS BIGINT) AS __fsql_c,
      __fsql_i0 AS __fsql_x0,
      __fsql_i1 AS __fsql_x1,
      __fsql_i2 AS __fsql_x2,
      __fsql_si2 AS __fsql_x3,
      __fsql_i3 AS __fsql_x4,
      __fsql_i4 AS __fsql_x5,
      __fsql_ti4 AS __fsql_x6,
      1 AS __fsql_x7,
      ts AS __fsql_x8,
      __fsql_sei AS __fsql_x9
    FROM (
      SELECT
        user_id,
        ts,
        val AS __fsql_i0,
        CASE WHEN (
          user_id <> CAST(2 AS BIGINT)
        ) THEN val END AS __fsql_i1,
        CAST(val AS DECIMAL(30, 0)) AS __fsql_i2,
        CAST(CASE WHEN (
          EPOCH_US(ts) < 1704078000000000
        ) THEN val END AS DECIMAL(30, 0)) AS __fsql_si2,
        val AS __fsql_i3,
        CAST(val AS BIGINT) AS __fsql_i4,
        CASE WHEN NOT val IS NULL THEN ts END AS __fsql_ti4,
        1 AS __fsql_i5,
        ts AS __fsql_i6,
        1704078000000000 AS __fsql_sei
      FROM events AS __fsql_s
    ) AS __fsql_s
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
  ), __fsql_sums_good AS (
    SELECT
      __fsql_rid,
      user_id AS __fsql_k0,
      __fsql_t
    FROM __fsql_spine
    WHERE
      NOT __fsql_t IS NULL AND NOT user_id IS NULL
  ), __fsql_sums_run AS MATERIALIZED (
    SELECT
      __fsql_rid,
      __fsql_wi,
      COUNT(__fsql_pos) OVER (
        ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_pos,
      COUNT(__fsql_n5) OVER (
        ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST, __fsql_c NULLS FIRST, __fsql_rankv NULLS FIRST
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_n5,
      __fsql_val0,
      __fsql_val1,
      __fsql_val2,
      __fsql_val3,
      __fsql_val4,
      __fsql_val6,
      __fsql_val8,
      __fsql_val9,
      __fsql_rankv
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_kind,
        CAST(NULL AS BIGINT) AS __fsql_rid,
        CAST(NULL AS INT) AS __fsql_wi,
        1 AS __fsql_pos,
        __fsql_x5 AS __fsql_n5,
        __fsql_x0 AS __fsql_val0,
        __fsql_x1 AS __fsql_val1,
        __fsql_x2 AS __fsql_val2,
        __fsql_x3 AS __fsql_val3,
        __fsql_x4 AS __fsql_val4,
        __fsql_x6 AS __fsql_val6,
        __fsql_x8 AS __fsql_val8,
        __fsql_x9 AS __fsql_val9,
        __fsql_c,
        __fsql_x5 AS __fsql_rankv
      FROM __fsql_sums_src
      UNION ALL
      SELECT
        __fsql_g.__fsql_k0,
        COALESCE(__fsql_g.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
        1 AS __fsql_kind,
        __fsql_g.__fsql_rid,
        __fsql_w.__fsql_wi,
        NULL AS __fsql_pos,
        NULL AS __fsql_n5,
        NULL AS __fsql_val0,
        NULL AS __fsql_val1,
        NULL AS __fsql_val2,
        NULL AS __fsql_val3,
        NULL AS __fsql_val4,
        NULL AS __fsql_val6,
        NULL AS __fsql_val8,
        NULL AS __fsql_val9,
        NULL AS __fsql_c,
        NULL AS __fsql_rankv
      FROM __fsql_sums_good AS __fsql_g
      CROSS JOIN (VALUES
        (0, 0),
        (1, NULL),
        (2, 1000000),
        (3, 86400000000)) AS __fsql_w(__fsql_wi, __fsql_us)
    ) AS __fsql_u
  ), __fsql_sums_cnt AS (
    SELECT
      __fsql_rid,
      MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_pos END) AS __fsql_a8,
      MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n5 END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_n5 END) AS __fsql_n5,
      MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n5 END) AS __fsql_r5,
      MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n5 END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_n5 END) AS __fsql_n6,
      MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_n5 END) AS __fsql_r6,
      MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) AS __fsql_hi,
      MAX(CASE WHEN __fsql_wi = 2 THEN __fsql_pos END) AS __fsql_lo2,
      MAX(CASE WHEN __fsql_wi = 3 THEN __fsql_pos END) AS __fsql_lo3,
      MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_pos END) AS __fsql_lo1
    FROM __fsql_sums_run
    WHERE
      NOT __fsql_rid IS NULL
    GROUP BY
      __fsql_rid
  ), __fsql_sums_blocks AS (
    SELECT
      0 AS __fsql_l,
      __fsql_pos - 1 AS __fsql_b,
      CAST(__fsql_val0 AS INT128) AS __fsql_sum0,
      CAST(__fsql_val1 AS INT128) AS __fsql_sum1,
      CAST(__fsql_val2 AS INT128) AS __fsql_sum2,
      CAST(__fsql_val3 AS INT128) AS __fsql_sum3,
      __fsql_val4 AS __fsql_max4,
      __fsql_val6 AS __fsql_max6,
      __fsql_val8 AS __fsql_max8,
      __fsql_val9 AS __fsql_max9
    FROM __fsql_sums_run
    WHERE
      __fsql_rid IS NULL
    UNION ALL
    SELECT
      __fsql_l + 1 AS __fsql_l,
      (
        __fsql_b >> 1
      ) AS __fsql_b,
      SUM(__fsql_sum0) AS __fsql_sum0,
      SUM(__fsql_sum1) AS __fsql_sum1,
      SUM(__fsql_sum2) AS __fsql_sum2,
      SUM(__fsql_sum3) AS __fsql_sum3,
      MAX(__fsql_max4) AS __fsql_max4,
      MAX(__fsql_max6) AS __fsql_max6,
      MAX(__fsql_max8) AS __fsql_max8,
      MAX(__fsql_max9) AS __fsql_max9
    FROM __fsql_sums_blocks
    WHERE
      __fsql_l < 39
    GROUP BY
      __fsql_l + 1,
      (
        __fsql_b >> 1
      )
  ), __fsql_sums_cover AS (
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
            2 AS __fsql_wi,
            __fsql_lo2 AS __fsql_lo,
            __fsql_hi
          FROM __fsql_sums_cnt
          WHERE
            __fsql_hi > __fsql_lo2
          UNION ALL
          SELECT
            __fsql_rid,
            3 AS __fsql_wi,
            __fsql_lo3 AS __fsql_lo,
            __fsql_hi
          FROM __fsql_sums_cnt
          WHERE
            __fsql_hi > __fsql_lo3
          UNION ALL
          SELECT
            __fsql_rid,
            1 AS __fsql_wi,
            __fsql_lo1 AS __fsql_lo,
            __fsql_hi
          FROM __fsql_sums_cnt
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
  ), __fsql_sums_bk AS (
    SELECT
      __fsql_q.__fsql_rid,
      SUM(CASE WHEN __fsql_q.__fsql_wi = 2 THEN __fsql_blk.__fsql_sum0 END) AS __fsql_a0,
      SUM(CASE WHEN __fsql_q.__fsql_wi = 3 THEN __fsql_blk.__fsql_sum1 END) AS __fsql_a1,
      SUM(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_sum2 END) AS __fsql_a2,
      SUM(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_sum3 END) AS __fsql_a3,
      MAX(CASE WHEN __fsql_q.__fsql_wi = 3 THEN __fsql_blk.__fsql_max4 END) AS __fsql_a4,
      MAX(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_max6 END) AS __fsql_a7,
      MAX(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_max8 END) AS __fsql_a9,
      MAX(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_max9 END) AS __fsql_a10
    FROM __fsql_sums_cover AS __fsql_q
    JOIN __fsql_sums_blocks AS __fsql_blk
      ON __fsql_blk.__fsql_l = __fsql_q.__fsql_l
      AND __fsql_blk.__fsql_b = __fsql_q.__fsql_b
    GROUP BY
      __fsql_q.__fsql_rid
  ), __fsql_sums_ranked AS (
    SELECT
      __fsql_n5 AS __fsql_rank,
      __fsql_rankv AS __fsql_v
    FROM __fsql_sums_run
    WHERE
      __fsql_rid IS NULL AND NOT __fsql_rankv IS NULL
  ), __fsql_sums_rk AS (
    SELECT
      __fsql_q.__fsql_rid,
      MAX(CASE WHEN __fsql_q.__fsql_j = 5 THEN __fsql_e.__fsql_v END) AS __fsql_a5,
      MAX(CASE WHEN __fsql_q.__fsql_j = 6 THEN __fsql_e.__fsql_v END) AS __fsql_a6
    FROM (
      SELECT
        __fsql_rid,
        5 AS __fsql_j,
        __fsql_r5 AS __fsql_rank
      FROM __fsql_sums_cnt
      WHERE
        __fsql_n5 > 0
      UNION ALL
      SELECT
        __fsql_rid,
        6 AS __fsql_j,
        __fsql_r6 AS __fsql_rank
      FROM __fsql_sums_cnt
      WHERE
        __fsql_n6 > 0
    ) AS __fsql_q
    JOIN __fsql_sums_ranked AS __fsql_e
      ON __fsql_e.__fsql_rank = __fsql_q.__fsql_rank
    GROUP BY
      __fsql_q.__fsql_rid
  )
  SELECT
    __fsql_spine.*
    EXCLUDE (__fsql_rid, __fsql_t),
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN CASE
        WHEN __fsql_sums_bk.__fsql_a0 IS NULL
        THEN CAST(NULL AS BIGINT)
        WHEN __fsql_sums_bk.__fsql_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_sums_bk.__fsql_a0 AS BIGINT)
        ELSE CAST(ERROR(
          'fsql: sum sums.sum_1s overflows int64 at a spine row: ' || CAST(__fsql_sums_bk.__fsql_a0 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums'
        ) AS BIGINT)
      END
      ELSE CAST(NULL AS BIGINT)
    END AS "sum_1s",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN CASE
        WHEN __fsql_sums_bk.__fsql_a1 IS NULL
        THEN CAST(NULL AS BIGINT)
        WHEN __fsql_sums_bk.__fsql_a1 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_sums_bk.__fsql_a1 AS BIGINT)
        ELSE CAST(ERROR(
          'fsql: sum sums.sum_1d overflows int64 at a spine row: ' || CAST(__fsql_sums_bk.__fsql_a1 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums'
        ) AS BIGINT)
      END
      ELSE CAST(NULL AS BIGINT)
    END AS "sum_1d",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN CAST(__fsql_sums_bk.__fsql_a2 AS DECIMAL(30, 0))
      ELSE CAST(NULL AS DECIMAL(30, 0))
    END AS "sum_lifetime",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN CAST(__fsql_sums_bk.__fsql_a3 AS DECIMAL(30, 0))
      ELSE CAST(NULL AS DECIMAL(30, 0))
    END AS "__fsql_s__sum_lifetime",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_bk.__fsql_a4
      ELSE CAST(NULL AS BIGINT)
    END AS "max_1d",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_rk.__fsql_a5
      ELSE CAST(NULL AS BIGINT)
    END AS "last_val",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_rk.__fsql_a6
      ELSE CAST(NULL AS BIGINT)
    END AS "__fsql_r__last_val",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_bk.__fsql_a7
      ELSE CAST(NULL AS TIMESTAMP)
    END AS "__fsql_rt__last_val",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN COALESCE(__fsql_sums_cnt.__fsql_a8, 0)
      ELSE CAST(0 AS BIGINT)
    END AS "__fsql_events",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_bk.__fsql_a9
      ELSE CAST(NULL AS TIMESTAMP)
    END AS "__fsql_winner_ts",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_bk.__fsql_a10
      ELSE CAST(NULL AS BIGINT)
    END AS "__fsql_se"
  FROM __fsql_spine
  LEFT JOIN __fsql_sums_cnt
    ON __fsql_spine.__fsql_rid = __fsql_sums_cnt.__fsql_rid
  LEFT JOIN __fsql_sums_bk
    ON __fsql_spine.__fsql_rid = __fsql_sums_bk.__fsql_rid
  LEFT JOIN __fsql_sums_rk
    ON __fsql_spine.__fsql_rid = __fsql_sums_rk.__fsql_rid
) AS __fsql_p;
MERGE INTO sums_latest AS __fsql_tgt
USING __fsql_new AS __fsql_n
ON __fsql_tgt."user_id" = __fsql_n."user_id"
WHEN MATCHED AND __fsql_n.__fsql_absent AND (
  FALSE
) THEN DELETE
WHEN MATCHED AND NOT __fsql_n.__fsql_absent
AND (
  __fsql_n.__fsql_ts_us > EPOCH_US(__fsql_tgt."feature_timestamp")
  OR (
    __fsql_n.__fsql_ts_us = EPOCH_US(__fsql_tgt."feature_timestamp")
    AND COALESCE(__fsql_n.__fsql_c_us, -9223372036854775807) > COALESCE(EPOCH_US(__fsql_tgt."created_timestamp"), -9223372036854775807)
  )
  OR (
    __fsql_n.__fsql_ts_us = EPOCH_US(__fsql_tgt."feature_timestamp")
    AND COALESCE(__fsql_n.__fsql_c_us, -9223372036854775807) = COALESCE(EPOCH_US(__fsql_tgt."created_timestamp"), -9223372036854775807)
    AND (
      NOT __fsql_n."sum_1s" IS NOT DISTINCT FROM __fsql_tgt."sum_1s"
      OR NOT __fsql_n."sum_1d" IS NOT DISTINCT FROM __fsql_tgt."sum_1d"
      OR NOT __fsql_n."sum_lifetime" IS NOT DISTINCT FROM __fsql_tgt."sum_lifetime"
      OR NOT __fsql_n."max_1d" IS NOT DISTINCT FROM __fsql_tgt."max_1d"
      OR NOT __fsql_n."last_val" IS NOT DISTINCT FROM __fsql_tgt."last_val"
      OR NOT __fsql_n."__fsql_s__sum_lifetime" IS NOT DISTINCT FROM __fsql_tgt."__fsql_s__sum_lifetime"
      OR NOT __fsql_n."__fsql_r__last_val" IS NOT DISTINCT FROM __fsql_tgt."__fsql_r__last_val"
      OR NOT __fsql_n."__fsql_rt__last_val" IS NOT DISTINCT FROM __fsql_tgt."__fsql_rt__last_val"
    )
  )
  OR FALSE
) THEN UPDATE SET
  "sum_1s" = __fsql_n."sum_1s",
  "sum_1d" = __fsql_n."sum_1d",
  "sum_lifetime" = __fsql_n."sum_lifetime",
  "max_1d" = __fsql_n."max_1d",
  "last_val" = __fsql_n."last_val",
  "__fsql_s__sum_lifetime" = __fsql_n."__fsql_s__sum_lifetime",
  "__fsql_r__last_val" = __fsql_n."__fsql_r__last_val",
  "__fsql_rt__last_val" = __fsql_n."__fsql_rt__last_val",
  "__fsql_se" = __fsql_n."__fsql_se",
  "feature_timestamp" = __fsql_n."feature_timestamp",
  "created_timestamp" = __fsql_n."created_timestamp",
  "materialized_at" = __fsql_n."materialized_at"
WHEN NOT MATCHED AND NOT __fsql_n.__fsql_absent THEN INSERT (
  "user_id",
  "sum_1s",
  "sum_1d",
  "sum_lifetime",
  "max_1d",
  "last_val",
  "__fsql_s__sum_lifetime",
  "__fsql_r__last_val",
  "__fsql_rt__last_val",
  "__fsql_se",
  "feature_timestamp",
  "created_timestamp",
  "materialized_at"
) VALUES (
  __fsql_n."user_id",
  __fsql_n."sum_1s",
  __fsql_n."sum_1d",
  __fsql_n."sum_lifetime",
  __fsql_n."max_1d",
  __fsql_n."last_val",
  __fsql_n."__fsql_s__sum_lifetime",
  __fsql_n."__fsql_r__last_val",
  __fsql_n."__fsql_rt__last_val",
  __fsql_n."__fsql_se",
  __fsql_n."feature_timestamp",
  __fsql_n."created_timestamp",
  __fsql_n."materialized_at"
);
UPDATE fsql_materializations SET finished_at = CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP)
WHERE
  run_id = 'a1ab087b7278a1813aae5c541109304d';
DROP TABLE IF EXISTS __fsql_new;
DROP TABLE IF EXISTS __fsql_keys;
DROP TABLE IF EXISTS __fsql_rows;
COMMIT;
