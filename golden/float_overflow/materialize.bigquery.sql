-- fsql materialization as of 2024-01-01T10:00:00+00:00 | dialect bigquery
-- view sums -> sums_latest (definition 93e8d1a843454b7d)
CREATE TABLE IF NOT EXISTS fsql_materializations (
  run_id STRING,
  view_name STRING,
  definition_hash STRING,
  end_time TIMESTAMP,
  end_time_us INT64,
  created_watermark_us INT64,
  full_refresh BOOL,
  rows_inserted INT64,
  rows_updated INT64,
  rows_deleted INT64,
  started_at TIMESTAMP,
  finished_at TIMESTAMP
);
CREATE OR REPLACE TABLE sums_latest (
  `user_id` INT64 NOT NULL,
  `x_sum_1d` FLOAT64,
  `x_sum` FLOAT64,
  `__fsql_s__x_sum` FLOAT64,
  `__fsql_se` INT64,
  `feature_timestamp` TIMESTAMP,
  `created_timestamp` TIMESTAMP,
  `materialized_at` TIMESTAMP
)
CLUSTER BY `user_id`;
BEGIN TRANSACTION;
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
  TIMESTAMP('2024-01-01 10:00:00.000000', 'UTC'),
  1704103200000000,
  CAST(NULL AS INT64),
  TRUE,
  CAST(NULL AS INT64),
  CAST(NULL AS INT64),
  CAST(NULL AS INT64),
  CURRENT_TIMESTAMP(),
  CAST(NULL AS TIMESTAMP);
CREATE OR REPLACE TEMPORARY TABLE __fsql_keys AS
SELECT DISTINCT
  user_id AS user_id
FROM events AS __fsql_s
WHERE
  NOT user_id IS NULL;
CREATE OR REPLACE TEMPORARY TABLE __fsql_new AS
SELECT
  __fsql_p.user_id AS `user_id`,
  __fsql_p.`x_sum_1d` AS `x_sum_1d`,
  __fsql_p.`x_sum` AS `x_sum`,
  __fsql_p.`__fsql_s__x_sum` AS `__fsql_s__x_sum`,
  __fsql_p.`__fsql_se` AS `__fsql_se`,
  CAST(__fsql_p.`__fsql_winner_ts` AS TIMESTAMP) AS `feature_timestamp`,
  CAST(NULL AS TIMESTAMP) AS `created_timestamp`,
  CURRENT_TIMESTAMP() AS `materialized_at`,
  __fsql_p.`__fsql_events` = 0 AS __fsql_absent,
  UNIX_MICROS(CAST(__fsql_p.`__fsql_winner_ts` AS TIMESTAMP)) AS __fsql_ts_us,
  UNIX_MICROS(CAST(NULL AS TIMESTAMP)) AS __fsql_c_us
FROM (
  WITH __fsql_spine AS (
    SELECT
      *,
      ROW_NUMBER() OVER (ORDER BY user_id, __fsql_as_of) AS __fsql_rid,
      UNIX_MICROS(__fsql_as_of) AS __fsql_t
    FROM (
      SELECT
        user_id,
        TIMESTAMP('2024-01-01 10:00:00.000000', 'UTC') AS __fsql_as_of
      FROM __fsql_keys
    )
  ), __fsql_sums_src AS (
    SELECT
      user_id AS __fsql_k0,
      UNIX_MICROS(ts) AS __fsql_ts,
      CAST(NULL AS INT64) AS __fsql_c,
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
        CAST(x AS FLOAT64) AS __fsql_i1,
        CAST(CASE WHEN (
          UNIX_MICROS(ts) < 1704103200000000
        ) THEN x END AS FLOAT64) AS __fsql_si1,
        1 AS __fsql_i2,
        ts AS __fsql_i3,
        1704103200000000 AS __fsql_sei
      FROM events AS __fsql_s
    ) AS __fsql_s
    WHERE
      NOT user_id IS NULL AND NOT UNIX_MICROS(ts) IS NULL
  ), __fsql_sums_frames AS (
    SELECT
      *
    FROM (
      SELECT
        __fsql_j.*,
        CASE
          WHEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) IS NULL
          THEN CAST(NULL AS FLOAT64)
          WHEN IS_NAN(
            SUM(__fsql_p0_x0 * 0.00048828125) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
            )
          )
          THEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          )
          WHEN ABS(
            SUM(__fsql_p0_x0 * 0.00048828125) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
            )
          ) > 8.777798510069901e+304
          THEN CASE
            WHEN SUM(__fsql_p0_x0 * 0.00048828125) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
            ) > 0
            THEN CAST('inf' AS FLOAT64)
            ELSE CAST('-inf' AS FLOAT64)
          END
          ELSE SUM(__fsql_p0_x0 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) * 2048.0
        END AS __fsql_p0_a0,
        CASE
          WHEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) IS NULL
          THEN CAST(NULL AS FLOAT64)
          WHEN IS_NAN(
            SUM(__fsql_p0_x1 * 0.00048828125) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            )
          )
          THEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          )
          WHEN ABS(
            SUM(__fsql_p0_x1 * 0.00048828125) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            )
          ) > 8.777798510069901e+304
          THEN CASE
            WHEN SUM(__fsql_p0_x1 * 0.00048828125) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) > 0
            THEN CAST('inf' AS FLOAT64)
            ELSE CAST('-inf' AS FLOAT64)
          END
          ELSE SUM(__fsql_p0_x1 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) * 2048.0
        END AS __fsql_p0_a1,
        CASE
          WHEN SUM(__fsql_p0_x2 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) IS NULL
          THEN CAST(NULL AS FLOAT64)
          WHEN IS_NAN(
            SUM(__fsql_p0_x2 * 0.00048828125) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            )
          )
          THEN SUM(__fsql_p0_x2 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          )
          WHEN ABS(
            SUM(__fsql_p0_x2 * 0.00048828125) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            )
          ) > 8.777798510069901e+304
          THEN CASE
            WHEN SUM(__fsql_p0_x2 * 0.00048828125) OVER (
              PARTITION BY __fsql_p0_k0
              ORDER BY __fsql_p0_o
              RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) > 0
            THEN CAST('inf' AS FLOAT64)
            ELSE CAST('-inf' AS FLOAT64)
          END
          ELSE SUM(__fsql_p0_x2 * 0.00048828125) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) * 2048.0
        END AS __fsql_p0_a2,
        COUNT(__fsql_p0_x3) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_p0_a3,
        MAX(__fsql_p0_x4) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_p0_a4,
        MAX(__fsql_p0_x5) OVER (
          PARTITION BY __fsql_p0_k0
          ORDER BY __fsql_p0_o
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_p0_a5
      FROM (
        SELECT
          __fsql_q.*,
          COALESCE(__fsql_q.user_id, __fsql_e.__fsql_k0) AS __fsql_p0_k0,
          COALESCE(__fsql_q.__fsql_t, __fsql_e.__fsql_ts) AS __fsql_p0_o,
          __fsql_e.__fsql_c AS __fsql_p0_c,
          __fsql_e.__fsql_x0 AS __fsql_p0_x0,
          __fsql_e.__fsql_x1 AS __fsql_p0_x1,
          __fsql_e.__fsql_x2 AS __fsql_p0_x2,
          __fsql_e.__fsql_x3 AS __fsql_p0_x3,
          __fsql_e.__fsql_x4 AS __fsql_p0_x4,
          __fsql_e.__fsql_x5 AS __fsql_p0_x5
        FROM __fsql_spine AS __fsql_q
        FULL JOIN (
          SELECT
            __fsql_k0,
            __fsql_ts,
            __fsql_c,
            CAST(NULL AS INT64) AS __fsql_none,
            __fsql_x0,
            __fsql_x1,
            __fsql_x2,
            __fsql_x3,
            __fsql_x4,
            __fsql_x5
          FROM __fsql_sums_src
        ) AS __fsql_e
          ON __fsql_q.__fsql_rid = __fsql_e.__fsql_none
      ) AS __fsql_j
    ) AS __fsql_w
    WHERE
      NOT __fsql_rid IS NULL
  )
  SELECT
    __fsql_sums_frames.*
    EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_k0, __fsql_p0_o, __fsql_p0_c, __fsql_p0_x0, __fsql_p0_x1, __fsql_p0_x2, __fsql_p0_x3, __fsql_p0_x4, __fsql_p0_x5, __fsql_p0_a0, __fsql_p0_a1, __fsql_p0_a2, __fsql_p0_a3, __fsql_p0_a4, __fsql_p0_a5),
    CASE
      WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
      AND NOT __fsql_sums_frames.user_id IS NULL
      THEN __fsql_sums_frames.__fsql_p0_a0
      ELSE CAST(NULL AS FLOAT64)
    END AS `x_sum_1d`,
    CASE
      WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
      AND NOT __fsql_sums_frames.user_id IS NULL
      THEN __fsql_sums_frames.__fsql_p0_a1
      ELSE CAST(NULL AS FLOAT64)
    END AS `x_sum`,
    CASE
      WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
      AND NOT __fsql_sums_frames.user_id IS NULL
      THEN __fsql_sums_frames.__fsql_p0_a2
      ELSE CAST(NULL AS FLOAT64)
    END AS `__fsql_s__x_sum`,
    CASE
      WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
      AND NOT __fsql_sums_frames.user_id IS NULL
      THEN COALESCE(__fsql_sums_frames.__fsql_p0_a3, 0)
      ELSE CAST(0 AS INT64)
    END AS `__fsql_events`,
    CASE
      WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
      AND NOT __fsql_sums_frames.user_id IS NULL
      THEN __fsql_sums_frames.__fsql_p0_a4
      ELSE CAST(NULL AS TIMESTAMP)
    END AS `__fsql_winner_ts`,
    CASE
      WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
      AND NOT __fsql_sums_frames.user_id IS NULL
      THEN __fsql_sums_frames.__fsql_p0_a5
      ELSE CAST(NULL AS INT64)
    END AS `__fsql_se`
  FROM __fsql_sums_frames
) AS __fsql_p;
MERGE INTO sums_latest AS __fsql_tgt
USING __fsql_new AS __fsql_n
ON __fsql_tgt.`user_id` = __fsql_n.`user_id`
WHEN MATCHED AND __fsql_n.__fsql_absent AND (
  FALSE
) THEN DELETE
WHEN MATCHED AND NOT __fsql_n.__fsql_absent
AND (
  __fsql_n.__fsql_ts_us > UNIX_MICROS(__fsql_tgt.`feature_timestamp`)
  OR (
    __fsql_n.__fsql_ts_us = UNIX_MICROS(__fsql_tgt.`feature_timestamp`)
    AND COALESCE(__fsql_n.__fsql_c_us, -9223372036854775807) > COALESCE(UNIX_MICROS(__fsql_tgt.`created_timestamp`), -9223372036854775807)
  )
  OR (
    __fsql_n.__fsql_ts_us = UNIX_MICROS(__fsql_tgt.`feature_timestamp`)
    AND COALESCE(__fsql_n.__fsql_c_us, -9223372036854775807) = COALESCE(UNIX_MICROS(__fsql_tgt.`created_timestamp`), -9223372036854775807)
    AND (
      NOT __fsql_n.`x_sum_1d` IS NOT DISTINCT FROM __fsql_tgt.`x_sum_1d`
      OR NOT __fsql_n.`x_sum` IS NOT DISTINCT FROM __fsql_tgt.`x_sum`
      OR NOT __fsql_n.`__fsql_s__x_sum` IS NOT DISTINCT FROM __fsql_tgt.`__fsql_s__x_sum`
    )
  )
  OR FALSE
) THEN UPDATE SET
  `x_sum_1d` = __fsql_n.`x_sum_1d`,
  `x_sum` = __fsql_n.`x_sum`,
  `__fsql_s__x_sum` = __fsql_n.`__fsql_s__x_sum`,
  `__fsql_se` = __fsql_n.`__fsql_se`,
  `feature_timestamp` = __fsql_n.`feature_timestamp`,
  `created_timestamp` = __fsql_n.`created_timestamp`,
  `materialized_at` = __fsql_n.`materialized_at`
WHEN NOT MATCHED AND NOT __fsql_n.__fsql_absent THEN INSERT (
  `user_id`,
  `x_sum_1d`,
  `x_sum`,
  `__fsql_s__x_sum`,
  `__fsql_se`,
  `feature_timestamp`,
  `created_timestamp`,
  `materialized_at`
) VALUES (
  __fsql_n.`user_id`,
  __fsql_n.`x_sum_1d`,
  __fsql_n.`x_sum`,
  __fsql_n.`__fsql_s__x_sum`,
  __fsql_n.`__fsql_se`,
  __fsql_n.`feature_timestamp`,
  __fsql_n.`created_timestamp`,
  __fsql_n.`materialized_at`
);
UPDATE fsql_materializations SET finished_at = CURRENT_TIMESTAMP()
WHERE
  run_id = '574a46364a2d7e6fdbf540da4ee4b8bc';
COMMIT TRANSACTION;
