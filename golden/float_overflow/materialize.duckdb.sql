-- fsql materialization as of 2024-01-01T10:00:00+00:00 | dialect duckdb
-- view sums -> sums_latest (definition 93e8d1a843454b7d)
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
  "x_sum_1d" DOUBLE,
  "x_sum" DOUBLE,
  "__fsql_s__x_sum" DOUBLE,
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
  '574a46364a2d7e6fdbf540da4ee4b8bc',
  'sums',
  '93e8d1a843454b7d',
  CAST('2024-01-01 10:00:00.000000' AS TIMESTAMP),
  1704103200000000,
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
  __fsql_p."x_sum_1d" AS "x_sum_1d",
  __fsql_p."x_sum" AS "x_sum",
  __fsql_p."__fsql_s__x_sum" AS "__fsql_s__x_sum",
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
        CAST('2024-01-01 10:00:00.000000' AS TIMESTAMP) AS __fsql_as_of
      FROM __fsql_keys
    )
  ), __fsql_sums_src AS (
    SELECT
      user_id AS __fsql_k0,
      EPOCH_US(ts) AS __fsql_ts,
      CAST(NULL AS BIGINT) AS __fsql_c,
      __fsql_i0 AS __fsql_x0,
      __fsql_i1 AS __fsql_x1,
      __fsql_si1 AS __fsql_x2,
      1 AS __fsql_x3,
      ts AS __fsql_x4,
      __fsql_sei AS __fsql_x5
    FROM (
      SELECT
        user_id,
        ts,
        x AS __fsql_i0,
        CAST(x AS DOUBLE) AS __fsql_i1,
        CAST(CASE WHEN (
          EPOCH_US(ts) < 1704103200000000
        ) THEN x END AS DOUBLE) AS __fsql_si1,
        1 AS __fsql_i2,
        ts AS __fsql_i3,
        1704103200000000 AS __fsql_sei
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
        ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_pos,
      __fsql_val0,
      __fsql_val1,
      __fsql_val2,
      __fsql_val4,
      __fsql_val5
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_kind,
        CAST(NULL AS BIGINT) AS __fsql_rid,
        CAST(NULL AS INT) AS __fsql_wi,
        1 AS __fsql_pos,
        __fsql_x0 AS __fsql_val0,
        __fsql_x1 AS __fsql_val1,
        __fsql_x2 AS __fsql_val2,
        __fsql_x4 AS __fsql_val4,
        __fsql_x5 AS __fsql_val5
      FROM __fsql_sums_src
      UNION ALL
      SELECT
        __fsql_g.__fsql_k0,
        COALESCE(__fsql_g.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
        1 AS __fsql_kind,
        __fsql_g.__fsql_rid,
        __fsql_w.__fsql_wi,
        NULL AS __fsql_pos,
        NULL AS __fsql_val0,
        NULL AS __fsql_val1,
        NULL AS __fsql_val2,
        NULL AS __fsql_val4,
        NULL AS __fsql_val5
      FROM __fsql_sums_good AS __fsql_g
      CROSS JOIN (VALUES
        (0, 0),
        (1, NULL),
        (2, 86400000000)) AS __fsql_w(__fsql_wi, __fsql_us)
    ) AS __fsql_u
  ), __fsql_sums_cnt AS (
    SELECT
      __fsql_rid,
      MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_pos END) AS __fsql_a3,
      MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) AS __fsql_hi,
      MAX(CASE WHEN __fsql_wi = 2 THEN __fsql_pos END) AS __fsql_lo2,
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
      __fsql_val0 AS __fsql_sum0,
      __fsql_val1 AS __fsql_sum1,
      __fsql_val2 AS __fsql_sum2,
      __fsql_val4 AS __fsql_max4,
      __fsql_val5 AS __fsql_max5
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
      MAX(__fsql_max4) AS __fsql_max4,
      MAX(__fsql_max5) AS __fsql_max5
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
      SUM(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_sum1 END) AS __fsql_a1,
      SUM(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_sum2 END) AS __fsql_a2,
      MAX(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_max4 END) AS __fsql_a4,
      MAX(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_max5 END) AS __fsql_a5
    FROM __fsql_sums_cover AS __fsql_q
    JOIN __fsql_sums_blocks AS __fsql_blk
      ON __fsql_blk.__fsql_l = __fsql_q.__fsql_l
      AND __fsql_blk.__fsql_b = __fsql_q.__fsql_b
    GROUP BY
      __fsql_q.__fsql_rid
  )
  SELECT
    __fsql_spine.*
    EXCLUDE (__fsql_rid, __fsql_t),
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_bk.__fsql_a0
      ELSE CAST(NULL AS DOUBLE)
    END AS "x_sum_1d",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_bk.__fsql_a1
      ELSE CAST(NULL AS DOUBLE)
    END AS "x_sum",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_bk.__fsql_a2
      ELSE CAST(NULL AS DOUBLE)
    END AS "__fsql_s__x_sum",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN COALESCE(__fsql_sums_cnt.__fsql_a3, 0)
      ELSE CAST(0 AS BIGINT)
    END AS "__fsql_events",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_bk.__fsql_a4
      ELSE CAST(NULL AS TIMESTAMP)
    END AS "__fsql_winner_ts",
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_bk.__fsql_a5
      ELSE CAST(NULL AS BIGINT)
    END AS "__fsql_se"
  FROM __fsql_spine
  LEFT JOIN __fsql_sums_cnt
    ON __fsql_spine.__fsql_rid = __fsql_sums_cnt.__fsql_rid
  LEFT JOIN __fsql_sums_bk
    ON __fsql_spine.__fsql_rid = __fsql_sums_bk.__fsql_rid
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
      NOT __fsql_n."x_sum_1d" IS NOT DISTINCT FROM __fsql_tgt."x_sum_1d"
      OR NOT __fsql_n."x_sum" IS NOT DISTINCT FROM __fsql_tgt."x_sum"
      OR NOT __fsql_n."__fsql_s__x_sum" IS NOT DISTINCT FROM __fsql_tgt."__fsql_s__x_sum"
    )
  )
  OR FALSE
) THEN UPDATE SET
  "x_sum_1d" = __fsql_n."x_sum_1d",
  "x_sum" = __fsql_n."x_sum",
  "__fsql_s__x_sum" = __fsql_n."__fsql_s__x_sum",
  "__fsql_se" = __fsql_n."__fsql_se",
  "feature_timestamp" = __fsql_n."feature_timestamp",
  "created_timestamp" = __fsql_n."created_timestamp",
  "materialized_at" = __fsql_n."materialized_at"
WHEN NOT MATCHED AND NOT __fsql_n.__fsql_absent THEN INSERT (
  "user_id",
  "x_sum_1d",
  "x_sum",
  "__fsql_s__x_sum",
  "__fsql_se",
  "feature_timestamp",
  "created_timestamp",
  "materialized_at"
) VALUES (
  __fsql_n."user_id",
  __fsql_n."x_sum_1d",
  __fsql_n."x_sum",
  __fsql_n."__fsql_s__x_sum",
  __fsql_n."__fsql_se",
  __fsql_n."feature_timestamp",
  __fsql_n."created_timestamp",
  __fsql_n."materialized_at"
);
UPDATE fsql_materializations SET finished_at = CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP)
WHERE
  run_id = '574a46364a2d7e6fdbf540da4ee4b8bc';
DROP TABLE IF EXISTS __fsql_new;
DROP TABLE IF EXISTS __fsql_keys;
DROP TABLE IF EXISTS __fsql_rows;
COMMIT;
