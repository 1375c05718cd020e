-- fsql materialization as of 2024-01-01T03:00:00+00:00 | dialect bigquery
-- view sums -> sums_latest (definition 60b756409cacc592)
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
CREATE TABLE IF NOT EXISTS sums_latest (
  `user_id` INT64 NOT NULL,
  `sum_1s` INT64,
  `sum_1d` INT64,
  `sum_lifetime` NUMERIC(30, 0),
  `max_1d` INT64,
  `last_val` INT64,
  `feature_timestamp` TIMESTAMP,
  `created_timestamp` TIMESTAMP,
  `materialized_at` TIMESTAMP
)
CLUSTER BY `user_id`;
SELECT
  CASE
    WHEN (
      SELECT
        definition_hash
      FROM fsql_materializations
      WHERE
        view_name = 'sums' AND NOT finished_at IS NULL
      ORDER BY
        finished_at DESC
      LIMIT 1
    ) <> '60b756409cacc592'
    THEN CAST(ERROR(
      'fsql: FeatureView \'sums\' changed since sums_latest was written (definition 60b756409cacc592); rebuild it with --full-refresh'
    ) AS INT64)
  END AS definition_check;
BEGIN TRANSACTION;
CREATE OR REPLACE TEMPORARY TABLE __fsql_rows AS
SELECT
  CAST(user_id AS INT64) AS user_id,
  CAST(ts AS TIMESTAMP) AS ts
FROM events AS __fsql_s
WHERE
  NOT user_id IS NULL
  AND (
    (
      SELECT
        MAX(end_time_us)
      FROM fsql_materializations
      WHERE
        view_name = 'sums'
        AND definition_hash = '60b756409cacc592'
        AND NOT finished_at IS NULL
    ) IS NULL
    OR (
      UNIX_MICROS(ts) >= (
        SELECT
          MAX(end_time_us)
        FROM fsql_materializations
        WHERE
          view_name = 'sums'
          AND definition_hash = '60b756409cacc592'
          AND NOT finished_at IS NULL
      ) - 0 - 0
      AND UNIX_MICROS(ts) <= 1704078000000000 - 0
    )
    OR (
      UNIX_MICROS(ts) >= (
        SELECT
          MAX(end_time_us)
        FROM fsql_materializations
        WHERE
          view_name = 'sums'
          AND definition_hash = '60b756409cacc592'
          AND NOT finished_at IS NULL
      ) - 1000000 - 0
      AND UNIX_MICROS(ts) <= 1704078000000000 - 1000000
    )
    OR (
      UNIX_MICROS(ts) >= (
        SELECT
          MAX(end_time_us)
        FROM fsql_materializations
        WHERE
          view_name = 'sums'
          AND definition_hash = '60b756409cacc592'
          AND NOT finished_at IS NULL
      ) - 86400000000 - 0
      AND UNIX_MICROS(ts) <= 1704078000000000 - 86400000000
    )
  )
  AND 1704078000000000 >= COALESCE(
    (
      SELECT
        MAX(end_time_us)
      FROM fsql_materializations
      WHERE
        view_name = 'sums'
        AND definition_hash = '60b756409cacc592'
        AND NOT finished_at IS NULL
    ),
    1704078000000000
  );
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
  '0c7760dc4ba90d7feb4668e4544c692a',
  'sums',
  '60b756409cacc592',
  TIMESTAMP('2024-01-01 03:00:00.000000', 'UTC'),
  1704078000000000,
  CAST(NULL AS INT64),
  FALSE,
  CAST(NULL AS INT64),
  CAST(NULL AS INT64),
  CAST(NULL AS INT64),
  CURRENT_TIMESTAMP(),
  CAST(NULL AS TIMESTAMP);
CREATE OR REPLACE TEMPORARY TABLE __fsql_keys AS
SELECT DISTINCT
  user_id AS user_id
FROM __fsql_rows;
CREATE OR REPLACE TEMPORARY TABLE __fsql_new AS
SELECT
  __fsql_p.user_id AS `user_id`,
  __fsql_p.`sum_1s` AS `sum_1s`,
  __fsql_p.`sum_1d` AS `sum_1d`,
  __fsql_p.`sum_lifetime` AS `sum_lifetime`,
  __fsql_p.`max_1d` AS `max_1d`,
  __fsql_p.`last_val` AS `last_val`,
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
        TIMESTAMP('2024-01-01 03:00:00.000000', 'UTC') AS __fsql_as_of
      FROM __fsql_keys
    )
  ), __fsql_sums_src AS (
    SELECT
      user_id AS __fsql_k0,
      UNIX_MICROS(ts) AS __fsql_ts,
      CAST(NULL AS INT64) AS __fsql_c,
      val AS __fsql_x0,
      CASE WHEN user_id <> 2 THEN val END AS __fsql_x1,
      1 AS __fsql_x2,
      ts AS __fsql_x3
    FROM (
      SELECT
        __fsql_s.*
      FROM events AS __fsql_s
      WHERE
        EXISTS(
          SELECT
            1
          FROM __fsql_keys AS __fsql_kk
          WHERE
            __fsql_kk.user_id = __fsql_s.user_id
        )
    ) AS __fsql_s
    CROSS JOIN (
      SELECT
        MIN(__fsql_t) AS __fsql_lo,
        MAX(__fsql_t) AS __fsql_hi
      FROM __fsql_spine
    ) AS __fsql_b
    WHERE
      NOT user_id IS NULL
      AND UNIX_MICROS(ts) <= __fsql_b.__fsql_hi
      AND NOT UNIX_MICROS(ts) IS NULL
  ), __fsql_sums_frames AS (
    SELECT
      __fsql_rid,
      __fsql_a0,
      __fsql_a1,
      __fsql_a2,
      __fsql_a3,
      __fsql_a5,
      __fsql_a6
    FROM (
      SELECT
        __fsql_rid,
        SUM(CAST(__fsql_x0 AS NUMERIC)) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o
          RANGE BETWEEN 999999 PRECEDING AND CURRENT ROW
        ) AS __fsql_a0,
        SUM(CAST(__fsql_x1 AS NUMERIC)) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) AS __fsql_a1,
        SUM(CAST(__fsql_x0 AS NUMERIC)) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_a2,
        MAX(__fsql_x0) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o
          RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
        ) AS __fsql_a3,
        COUNT(__fsql_x2) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_a5,
        MAX(__fsql_x3) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o
          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_a6
      FROM (
        SELECT
          __fsql_k0,
          __fsql_ts AS __fsql_o,
          __fsql_c,
          CAST(NULL AS INT64) AS __fsql_rid,
          __fsql_x0,
          __fsql_x1,
          __fsql_x2,
          __fsql_x3
        FROM __fsql_sums_src
        UNION ALL
        SELECT
          user_id AS __fsql_k0,
          __fsql_t AS __fsql_o,
          NULL AS __fsql_c,
          __fsql_rid,
          NULL AS __fsql_x0,
          NULL AS __fsql_x1,
          NULL AS __fsql_x2,
          NULL AS __fsql_x3
        FROM __fsql_spine
        WHERE
          NOT __fsql_t IS NULL AND NOT user_id IS NULL
      ) AS __fsql_u
    ) AS __fsql_w
    WHERE
      NOT __fsql_rid IS NULL
  ), __fsql_sums_nav AS (
    SELECT
      __fsql_rid,
      __fsql_lv0 AS __fsql_a4
    FROM (
      SELECT
        __fsql_rid,
        __fsql_wi,
        __fsql_t,
        LAST_VALUE(__fsql_x0 IGNORE NULLS) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o, __fsql_side, __fsql_c, __fsql_x0
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_lv0,
        LAST_VALUE(CASE WHEN NOT __fsql_x0 IS NULL THEN __fsql_o END IGNORE NULLS) OVER (
          PARTITION BY __fsql_k0
          ORDER BY __fsql_o, __fsql_side, __fsql_c, __fsql_x0
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS __fsql_lo0
      FROM (
        SELECT
          __fsql_k0,
          __fsql_ts AS __fsql_o,
          0 AS __fsql_side,
          __fsql_c,
          CAST(NULL AS INT64) AS __fsql_rid,
          CAST(NULL AS INT64) AS __fsql_wi,
          CAST(NULL AS INT64) AS __fsql_t,
          __fsql_x0
        FROM __fsql_sums_src
        UNION ALL
        SELECT
          __fsql_spine.user_id AS __fsql_k0,
          __fsql_spine.__fsql_t AS __fsql_o,
          1 AS __fsql_side,
          NULL AS __fsql_c,
          __fsql_spine.__fsql_rid,
          0 AS __fsql_wi,
          __fsql_spine.__fsql_t,
          NULL AS __fsql_x0
        FROM __fsql_spine
        WHERE
          NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      ) AS __fsql_u
    ) AS __fsql_p
    WHERE
      NOT __fsql_rid IS NULL
  )
  SELECT
    __fsql_spine.*
    EXCEPT (__fsql_rid, __fsql_t),
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN CASE
        WHEN __fsql_sums_frames.__fsql_a0 IS NULL
        THEN CAST(NULL AS INT64)
        WHEN __fsql_sums_frames.__fsql_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_sums_frames.__fsql_a0 AS INT64)
        ELSE CAST(ERROR(
          CONCAT(
            'fsql: sum sums.sum_1s overflows int64 at a spine row: ',
            CAST(__fsql_sums_frames.__fsql_a0 AS STRING),
            '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
          )
        ) AS INT64)
      END
      ELSE CAST(NULL AS INT64)
    END AS `sum_1s`,
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN CASE
        WHEN __fsql_sums_frames.__fsql_a1 IS NULL
        THEN CAST(NULL AS INT64)
        WHEN __fsql_sums_frames.__fsql_a1 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_sums_frames.__fsql_a1 AS INT64)
        ELSE CAST(ERROR(
          CONCAT(
            'fsql: sum sums.sum_1d overflows int64 at a spine row: ',
            CAST(__fsql_sums_frames.__fsql_a1 AS STRING),
            '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
          )
        ) AS INT64)
      END
      ELSE CAST(NULL AS INT64)
    END AS `sum_1d`,
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN CAST(__fsql_sums_frames.__fsql_a2 AS BIGNUMERIC)
      ELSE CAST(NULL AS BIGNUMERIC)
    END AS `sum_lifetime`,
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_frames.__fsql_a3
      ELSE CAST(NULL AS INT64)
    END AS `max_1d`,
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_nav.__fsql_a4
      ELSE CAST(NULL AS INT64)
    END AS `last_val`,
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN COALESCE(__fsql_sums_frames.__fsql_a5, 0)
      ELSE CAST(0 AS INT64)
    END AS `__fsql_events`,
    CASE
      WHEN NOT __fsql_spine.__fsql_t IS NULL AND NOT __fsql_spine.user_id IS NULL
      THEN __fsql_sums_frames.__fsql_a6
      ELSE CAST(NULL AS TIMESTAMP)
    END AS `__fsql_winner_ts`
  FROM __fsql_spine
  LEFT JOIN __fsql_sums_frames
    ON __fsql_spine.__fsql_rid = __fsql_sums_frames.__fsql_rid
  LEFT JOIN __fsql_sums_nav
    ON __fsql_spine.__fsql_rid = __fsql_sums_nav.__fsql_rid
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
      NOT __fsql_n.`sum_1s` IS NOT DISTINCT FROM __fsql_tgt.`sum_1s`
      OR NOT __fsql_n.`sum_1d` IS NOT DISTINCT FROM __fsql_tgt.`sum_1d`
      OR NOT __fsql_n.`sum_lifetime` IS NOT DISTINCT FROM __fsql_tgt.`sum_lifetime`
      OR NOT __fsql_n.`max_1d` IS NOT DISTINCT FROM __fsql_tgt.`max_1d`
      OR NOT __fsql_n.`last_val` IS NOT DISTINCT FROM __fsql_tgt.`last_val`
    )
  )
  OR FALSE
) THEN UPDATE SET
  `sum_1s` = __fsql_n.`sum_1s`,
  `sum_1d` = __fsql_n.`sum_1d`,
  `sum_lifetime` = __fsql_n.`sum_lifetime`,
  `max_1d` = __fsql_n.`max_1d`,
  `last_val` = __fsql_n.`last_val`,
  `feature_timestamp` = __fsql_n.`feature_timestamp`,
  `created_timestamp` = __fsql_n.`created_timestamp`,
  `materialized_at` = __fsql_n.`materialized_at`
WHEN NOT MATCHED AND NOT __fsql_n.__fsql_absent THEN INSERT (
  `user_id`,
  `sum_1s`,
  `sum_1d`,
  `sum_lifetime`,
  `max_1d`,
  `last_val`,
  `feature_timestamp`,
  `created_timestamp`,
  `materialized_at`
) VALUES (
  __fsql_n.`user_id`,
  __fsql_n.`sum_1s`,
  __fsql_n.`sum_1d`,
  __fsql_n.`sum_lifetime`,
  __fsql_n.`max_1d`,
  __fsql_n.`last_val`,
  __fsql_n.`feature_timestamp`,
  __fsql_n.`created_timestamp`,
  __fsql_n.`materialized_at`
);
UPDATE fsql_materializations SET finished_at = CURRENT_TIMESTAMP()
WHERE
  run_id = '0c7760dc4ba90d7feb4668e4544c692a';
COMMIT TRANSACTION;
