-- fsql materialization as of 2024-01-01T03:00:00+00:00 | dialect bigquery
-- view sums -> sums_latest (definition a541c32db1c13db7)
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
  `sum_1s` INT64,
  `sum_1d` INT64,
  `sum_lifetime` NUMERIC(30, 0),
  `max_1d` INT64,
  `last_val` INT64,
  `__fsql_s__sum_lifetime` NUMERIC(30, 0),
  `__fsql_r__last_val` INT64,
  `__fsql_rt__last_val` TIMESTAMP,
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
  'a1ab087b7278a1813aae5c541109304d',
  'sums',
  'a541c32db1c13db7',
  TIMESTAMP('2024-01-01 03:00:00.000000', 'UTC'),
  1704078000000000,
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
  __fsql_p.`sum_1s` AS `sum_1s`,
  __fsql_p.`sum_1d` AS `sum_1d`,
  __fsql_p.`sum_lifetime` AS `sum_lifetime`,
  __fsql_p.`max_1d` AS `max_1d`,
  __fsql_p.`last_val` AS `last_val`,
  __fsql_p.`__fsql_s__sum_lifetime` AS `__fsql_s__sum_lifetime`,
  __fsql_p.`__fsql_r__last_val` AS `__fsql_r__last_val`,
  __fsql_p.`__fsql_rt__last_val` AS `__fsql_rt__last_val`,
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
        TIMESTAMP('2024-01-01 03:00:00.000000', 'UTC') AS __fsql_as_of
      FROM __fsql_keys
    )
  ), __fsql_sums_src AS (
    SELECT
      user_id AS __fsql_k0,
      UNIX_MICROS(ts) AS __fsql_ts,
      CAST(NULL AS INT64) AS __fsql_c,
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
          user_id <> 2
        ) THEN val END AS __fsql_i1,
        CAST(val AS BIGNUMERIC) AS __fsql_i2,
        CAST(CASE WHEN (
          UNIX_MICROS(ts) < 1704078000000000
        ) THEN val END AS BIGNUMERIC) AS __fsql_si2,
        val AS __fsql_i3,
        CAST(val AS INT64) AS __fsql_i4,
        CASE WHEN NOT val IS NULL THEN ts END AS __fsql_ti4,
        1 AS __fsql_i5,
        ts AS __fsql_i6,
        1704078000000000 AS __fsql_sei
      FROM events AS __fsql_s
    ) AS __fsql_s
    WHERE
      NOT user_id IS NULL AND NOT UNIX_MICROS(ts) IS NULL
  ), __fsql_sums_link AS (
    SELECT
      __fsql_whole.*,
      __fsql_p0_a0,
      __fsql_p0_a1,
      __fsql_p0_a2,
      __fsql_p0_a3,
      __fsql_p0_a4,
      __fsql_p0_a5,
      __fsql_p0_a6,
      __fsql_p0_a7,
      __fsql_p0_a8,
      __fsql_p0_a9,
      __fsql_p0_a10
    FROM (
      SELECT
        *,
        __fsql_lv5 AS __fsql_p0_a5,
        __fsql_lv5 AS __fsql_p0_a6
      FROM (
        SELECT
          *,
          LAST_VALUE(__fsql_x5 IGNORE NULLS) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o, __fsql_side, __fsql_c, __fsql_x5
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_lv5,
          LAST_VALUE(CASE WHEN NOT __fsql_x5 IS NULL THEN __fsql_o END IGNORE NULLS) OVER (
            PARTITION BY __fsql_k0
            ORDER BY __fsql_o, __fsql_side, __fsql_c, __fsql_x5
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_lo5
        FROM (
          SELECT
            *,
            0 AS __fsql_wi,
            COALESCE(__fsql_ts, __fsql_t) AS __fsql_o,
            CASE WHEN __fsql_rid IS NULL THEN 0 ELSE 1 END AS __fsql_side
          FROM (
            SELECT
              *,
              SUM(CAST(__fsql_x0 AS NUMERIC)) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt
                RANGE BETWEEN 999999 PRECEDING AND CURRENT ROW
              ) AS __fsql_p0_a0,
              SUM(CAST(__fsql_x1 AS NUMERIC)) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt
                RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
              ) AS __fsql_p0_a1,
              SUM(CAST(__fsql_x2 AS NUMERIC)) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt
                RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
              ) AS __fsql_p0_a2,
              SUM(CAST(__fsql_x3 AS NUMERIC)) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt
                RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
              ) AS __fsql_p0_a3,
              MAX(__fsql_x4) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt
                RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
              ) AS __fsql_p0_a4,
              MAX(__fsql_x6) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt
                RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
              ) AS __fsql_p0_a7,
              COUNT(__fsql_x7) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt
                RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
              ) AS __fsql_p0_a8,
              MAX(__fsql_x8) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt
                RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
              ) AS __fsql_p0_a9,
              MAX(__fsql_x9) OVER (
                PARTITION BY __fsql_k0
                ORDER BY __fsql_mt
                RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
              ) AS __fsql_p0_a10
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
                    __fsql_k0,
                    __fsql_ts,
                    __fsql_c,
                    __fsql_x0,
                    __fsql_x1,
                    __fsql_x2,
                    __fsql_x3,
                    __fsql_x4,
                    __fsql_x5,
                    __fsql_x6,
                    __fsql_x7,
                    __fsql_x8,
                    __fsql_x9,
                    CAST(NULL AS INT64) AS __fsql_rid,
                    CAST(NULL AS INT64) AS __fsql_t,
                    __fsql_ts AS __fsql_mt,
                    NULL AS __fsql_whole
                  FROM __fsql_sums_src
                  UNION ALL
                  SELECT
                    __fsql_q.user_id AS __fsql_k0,
                    NULL AS __fsql_ts,
                    NULL AS __fsql_c,
                    NULL AS __fsql_x0,
                    NULL AS __fsql_x1,
                    NULL AS __fsql_x2,
                    NULL AS __fsql_x3,
                    NULL AS __fsql_x4,
                    NULL AS __fsql_x5,
                    NULL AS __fsql_x6,
                    NULL AS __fsql_x7,
                    NULL AS __fsql_x8,
                    NULL AS __fsql_x9,
                    __fsql_q.__fsql_rid,
                    __fsql_q.__fsql_t,
                    __fsql_q.__fsql_t AS __fsql_mt,
                    __fsql_q AS __fsql_whole
                  FROM __fsql_spine AS __fsql_q
                ) AS __fsql_r
              ) AS __fsql_rp
              WHERE
                NOT __fsql_rid IS NULL OR (
                  __fsql_ts <= __fsql_khi
                )
            ) AS __fsql_m
          ) AS __fsql_j
        ) AS __fsql_st
      ) AS __fsql_rc
      WHERE
        NOT __fsql_rid IS NULL
    ) AS __fsql_pk
  )
  SELECT
    __fsql_sums_link.*
    EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_a0, __fsql_p0_a1, __fsql_p0_a2, __fsql_p0_a3, __fsql_p0_a4, __fsql_p0_a5, __fsql_p0_a6, __fsql_p0_a7, __fsql_p0_a8, __fsql_p0_a9, __fsql_p0_a10),
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN CASE
        WHEN __fsql_sums_link.__fsql_p0_a0 IS NULL
        THEN CAST(NULL AS INT64)
        WHEN __fsql_sums_link.__fsql_p0_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_sums_link.__fsql_p0_a0 AS INT64)
        ELSE CAST(ERROR(
          CONCAT(
            'fsql: sum sums.sum_1s overflows int64 at a spine row: ',
            CAST(__fsql_sums_link.__fsql_p0_a0 AS STRING),
            '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
          )
        ) AS INT64)
      END
      ELSE CAST(NULL AS INT64)
    END AS `sum_1s`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN CASE
        WHEN __fsql_sums_link.__fsql_p0_a1 IS NULL
        THEN CAST(NULL AS INT64)
        WHEN __fsql_sums_link.__fsql_p0_a1 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_sums_link.__fsql_p0_a1 AS INT64)
        ELSE CAST(ERROR(
          CONCAT(
            'fsql: sum sums.sum_1d overflows int64 at a spine row: ',
            CAST(__fsql_sums_link.__fsql_p0_a1 AS STRING),
            '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
          )
        ) AS INT64)
      END
      ELSE CAST(NULL AS INT64)
    END AS `sum_1d`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN CAST(__fsql_sums_link.__fsql_p0_a2 AS BIGNUMERIC)
      ELSE CAST(NULL AS BIGNUMERIC)
    END AS `sum_lifetime`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN CAST(__fsql_sums_link.__fsql_p0_a3 AS BIGNUMERIC)
      ELSE CAST(NULL AS BIGNUMERIC)
    END AS `__fsql_s__sum_lifetime`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN __fsql_sums_link.__fsql_p0_a4
      ELSE CAST(NULL AS INT64)
    END AS `max_1d`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN __fsql_sums_link.__fsql_p0_a5
      ELSE CAST(NULL AS INT64)
    END AS `last_val`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN __fsql_sums_link.__fsql_p0_a6
      ELSE CAST(NULL AS INT64)
    END AS `__fsql_r__last_val`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN __fsql_sums_link.__fsql_p0_a7
      ELSE CAST(NULL AS TIMESTAMP)
    END AS `__fsql_rt__last_val`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN COALESCE(__fsql_sums_link.__fsql_p0_a8, 0)
      ELSE CAST(0 AS INT64)
    END AS `__fsql_events`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN __fsql_sums_link.__fsql_p0_a9
      ELSE CAST(NULL AS TIMESTAMP)
    END AS `__fsql_winner_ts`,
    CASE
      WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
      THEN __fsql_sums_link.__fsql_p0_a10
      ELSE CAST(NULL AS INT64)
    END AS `__fsql_se`
  FROM __fsql_sums_link
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
      OR NOT __fsql_n.`__fsql_s__sum_lifetime` IS NOT DISTINCT FROM __fsql_tgt.`__fsql_s__sum_lifetime`
      OR NOT __fsql_n.`__fsql_r__last_val` IS NOT DISTINCT FROM __fsql_tgt.`__fsql_r__last_val`
      OR NOT __fsql_n.`__fsql_rt__last_val` IS NOT DISTINCT FROM __fsql_tgt.`__fsql_rt__last_val`
    )
  )
  OR FALSE
) THEN UPDATE SET
  `sum_1s` = __fsql_n.`sum_1s`,
  `sum_1d` = __fsql_n.`sum_1d`,
  `sum_lifetime` = __fsql_n.`sum_lifetime`,
  `max_1d` = __fsql_n.`max_1d`,
  `last_val` = __fsql_n.`last_val`,
  `__fsql_s__sum_lifetime` = __fsql_n.`__fsql_s__sum_lifetime`,
  `__fsql_r__last_val` = __fsql_n.`__fsql_r__last_val`,
  `__fsql_rt__last_val` = __fsql_n.`__fsql_rt__last_val`,
  `__fsql_se` = __fsql_n.`__fsql_se`,
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
  `__fsql_s__sum_lifetime`,
  `__fsql_r__last_val`,
  `__fsql_rt__last_val`,
  `__fsql_se`,
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
  __fsql_n.`__fsql_s__sum_lifetime`,
  __fsql_n.`__fsql_r__last_val`,
  __fsql_n.`__fsql_rt__last_val`,
  __fsql_n.`__fsql_se`,
  __fsql_n.`feature_timestamp`,
  __fsql_n.`created_timestamp`,
  __fsql_n.`materialized_at`
);
UPDATE fsql_materializations SET finished_at = CURRENT_TIMESTAMP()
WHERE
  run_id = 'a1ab087b7278a1813aae5c541109304d';
COMMIT TRANSACTION;
