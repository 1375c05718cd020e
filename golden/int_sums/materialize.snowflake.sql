-- fsql materialization as of 2024-01-01T03:00:00+00:00 | dialect snowflake
-- view sums -> sums_latest (definition a541c32db1c13db7)
CREATE TABLE IF NOT EXISTS fsql_materializations (
  run_id VARCHAR,
  view_name VARCHAR,
  definition_hash VARCHAR,
  end_time TIMESTAMPNTZ,
  end_time_us DECIMAL(38, 0),
  created_watermark_us DECIMAL(38, 0),
  full_refresh BOOLEAN,
  rows_inserted DECIMAL(38, 0),
  rows_updated DECIMAL(38, 0),
  rows_deleted DECIMAL(38, 0),
  started_at TIMESTAMPNTZ,
  finished_at TIMESTAMPNTZ
);
CREATE OR REPLACE TABLE sums_latest (
  "user_id" DECIMAL(38, 0) NOT NULL,
  "sum_1s" DECIMAL(38, 0),
  "sum_1d" DECIMAL(38, 0),
  "sum_lifetime" DECIMAL(30, 0),
  "max_1d" DECIMAL(38, 0),
  "last_val" DECIMAL(38, 0),
  "__fsql_s__sum_lifetime" DECIMAL(30, 0),
  "__fsql_r__last_val" DECIMAL(38, 0),
  "__fsql_rt__last_val" TIMESTAMPNTZ,
  "__fsql_se" DECIMAL(38, 0),
  "feature_timestamp" TIMESTAMPNTZ,
  "created_timestamp" TIMESTAMPNTZ,
  "materialized_at" TIMESTAMPNTZ
)
CLUSTER BY ("user_id");
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
  TO_TIMESTAMP_NTZ('2024-01-01 03:00:00.000000', 'yyyy-mm-DD hh24:mi:ss.ff6'),
  1704078000000000,
  CAST(NULL AS DECIMAL(38, 0)),
  TRUE,
  CAST(NULL AS DECIMAL(38, 0)),
  CAST(NULL AS DECIMAL(38, 0)),
  CAST(NULL AS DECIMAL(38, 0)),
  CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ),
  CAST(NULL AS TIMESTAMPNTZ);
CREATE OR REPLACE TEMPORARY TABLE __fsql_keys AS
SELECT DISTINCT
  user_id AS user_id
FROM events AS __fsql_s
WHERE
  NOT user_id IS NULL;
MERGE INTO sums_latest AS __fsql_tgt
USING (
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
    CAST(__fsql_p."__fsql_winner_ts" AS TIMESTAMPNTZ) AS "feature_timestamp",
    CAST(NULL AS TIMESTAMPNTZ) AS "created_timestamp",
    CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ) AS "materialized_at",
    __fsql_p."__fsql_events" = 0 AS __fsql_absent,
    DATE_PART(EPOCH_MICROSECOND, CAST(__fsql_p."__fsql_winner_ts" AS TIMESTAMPNTZ)) AS __fsql_ts_us,
    DATE_PART(EPOCH_MICROSECOND, CAST(NULL AS TIMESTAMPNTZ)) AS __fsql_c_us
  FROM (
    WITH __fsql_spine AS (
      SELECT
        *,
        ROW_NUMBER() OVER (ORDER BY user_id NULLS FIRST, __fsql_as_of NULLS FIRST) AS __fsql_rid,
        DATE_PART(EPOCH_MICROSECOND, __fsql_as_of) AS __fsql_t
      FROM (
        SELECT
          user_id,
          TO_TIMESTAMP_NTZ('2024-01-01 03:00:00.000000', 'yyyy-mm-DD hh24:mi:ss.ff6') AS __fsql_as_of
        FROM __fsql_keys
      )
    ), __fsql_sums_src AS (
      SELECT
        user_id AS __fsql_k0,
        DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
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
            user_id <> 2
          ) THEN val END AS __fsql_i1,
          CAST(val AS DECIMAL(30, 0)) AS __fsql_i2,
          CAST(CASE WHEN (
            DATE_PART(EPOCH_MICROSECOND, ts) < 1704078000000000
          ) THEN val END AS DECIMAL(30, 0)) AS __fsql_si2,
          val AS __fsql_i3,
          CAST(val AS DECIMAL(38, 0)) AS __fsql_i4,
          CASE WHEN NOT val IS NULL THEN ts END AS __fsql_ti4,
          1 AS __fsql_i5,
          ts AS __fsql_i6,
          1704078000000000 AS __fsql_sei
        FROM events AS __fsql_s
      ) AS __fsql_s
      WHERE
        NOT user_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, ts) IS NULL
    ), __fsql_sums_link AS (
      SELECT
        *
        EXCLUDE (__fsql_k0, __fsql_ts, __fsql_c, __fsql_x0, __fsql_x1, __fsql_x2, __fsql_x3, __fsql_x4, __fsql_x5, __fsql_x6, __fsql_x7, __fsql_x8, __fsql_x9, __fsql_mt, __fsql_wi, __fsql_o, __fsql_side, __fsql_klo, __fsql_khi, __fsql_lv5, __fsql_lo5)
      FROM (
        SELECT
          *,
          __fsql_lv5 AS __fsql_p0_a5,
          __fsql_lv5 AS __fsql_p0_a6
        FROM (
          SELECT
            *,
            LAST_VALUE(__fsql_x5) IGNORE NULLS OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x5 NULLS FIRST
              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS __fsql_lv5,
            LAST_VALUE(CASE WHEN NOT __fsql_x5 IS NULL THEN __fsql_o END) IGNORE NULLS OVER (
              PARTITION BY __fsql_k0
              ORDER BY __fsql_o NULLS FIRST, __fsql_side NULLS FIRST, __fsql_c NULLS FIRST, __fsql_x5 NULLS FIRST
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
                SUM(CAST(__fsql_x0 AS DECIMAL(38, 0))) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt NULLS FIRST
                  RANGE BETWEEN 999999 PRECEDING AND CURRENT ROW
                ) AS __fsql_p0_a0,
                SUM(CAST(__fsql_x1 AS DECIMAL(38, 0))) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt NULLS FIRST
                  RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
                ) AS __fsql_p0_a1,
                SUM(CAST(__fsql_x2 AS DECIMAL(38, 0))) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt NULLS FIRST
                  RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                ) AS __fsql_p0_a2,
                SUM(CAST(__fsql_x3 AS DECIMAL(38, 0))) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt NULLS FIRST
                  RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                ) AS __fsql_p0_a3,
                MAX(__fsql_x4) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt NULLS FIRST
                  RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
                ) AS __fsql_p0_a4,
                MAX(__fsql_x6) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt NULLS FIRST
                  RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                ) AS __fsql_p0_a7,
                COUNT(__fsql_x7) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt NULLS FIRST
                  RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                ) AS __fsql_p0_a8,
                MAX(__fsql_x8) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt NULLS FIRST
                  RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                ) AS __fsql_p0_a9,
                MAX(__fsql_x9) OVER (
                  PARTITION BY __fsql_k0
                  ORDER BY __fsql_mt NULLS FIRST
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
                      __fsql_q.*,
                      COALESCE(__fsql_q.user_id, __fsql_e.__fsql_k0) AS __fsql_k0,
                      __fsql_e.__fsql_ts,
                      __fsql_e.__fsql_c,
                      __fsql_e.__fsql_x0,
                      __fsql_e.__fsql_x1,
                      __fsql_e.__fsql_x2,
                      __fsql_e.__fsql_x3,
                      __fsql_e.__fsql_x4,
                      __fsql_e.__fsql_x5,
                      __fsql_e.__fsql_x6,
                      __fsql_e.__fsql_x7,
                      __fsql_e.__fsql_x8,
                      __fsql_e.__fsql_x9,
                      COALESCE(__fsql_q.__fsql_t, __fsql_e.__fsql_ts) AS __fsql_mt
                    FROM __fsql_spine AS __fsql_q
                    FULL JOIN (
                      SELECT
                        __fsql_k0,
                        __fsql_ts,
                        __fsql_c,
                        CAST(NULL AS BIGINT) AS __fsql_none,
                        __fsql_x0,
                        __fsql_x1,
                        __fsql_x2,
                        __fsql_x3,
                        __fsql_x4,
                        __fsql_x5,
                        __fsql_x6,
                        __fsql_x7,
                        __fsql_x8,
                        __fsql_x9
                      FROM __fsql_sums_src
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
          ) AS __fsql_st
        ) AS __fsql_rc
        WHERE
          NOT __fsql_rid IS NULL
      ) AS __fsql_pk
    )
    SELECT
      __fsql_sums_link.*
      EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_a0, __fsql_p0_a1, __fsql_p0_a2, __fsql_p0_a3, __fsql_p0_a4, __fsql_p0_a5, __fsql_p0_a6, __fsql_p0_a7, __fsql_p0_a8, __fsql_p0_a9, __fsql_p0_a10),
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN CASE
          WHEN __fsql_sums_link.__fsql_p0_a0 IS NULL
          THEN CAST(NULL AS DECIMAL(38, 0))
          WHEN __fsql_sums_link.__fsql_p0_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
          THEN CAST(__fsql_sums_link.__fsql_p0_a0 AS DECIMAL(38, 0))
          ELSE CAST(TO_NUMBER(
            CONCAT(
              'fsql: sum sums.sum_1s overflows int64 at a spine row: ',
              CAST(__fsql_sums_link.__fsql_p0_a0 AS VARCHAR),
              '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
            )
          ) AS DECIMAL(38, 0))
        END
        ELSE CAST(NULL AS DECIMAL(38, 0))
      END AS "sum_1s",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN CASE
          WHEN __fsql_sums_link.__fsql_p0_a1 IS NULL
          THEN CAST(NULL AS DECIMAL(38, 0))
          WHEN __fsql_sums_link.__fsql_p0_a1 BETWEEN -9223372036854775808 AND 9223372036854775807
          THEN CAST(__fsql_sums_link.__fsql_p0_a1 AS DECIMAL(38, 0))
          ELSE CAST(TO_NUMBER(
            CONCAT(
              'fsql: sum sums.sum_1d overflows int64 at a spine row: ',
              CAST(__fsql_sums_link.__fsql_p0_a1 AS VARCHAR),
              '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
            )
          ) AS DECIMAL(38, 0))
        END
        ELSE CAST(NULL AS DECIMAL(38, 0))
      END AS "sum_1d",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN CAST(__fsql_sums_link.__fsql_p0_a2 AS DECIMAL(30, 0))
        ELSE CAST(NULL AS DECIMAL(30, 0))
      END AS "sum_lifetime",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN CAST(__fsql_sums_link.__fsql_p0_a3 AS DECIMAL(30, 0))
        ELSE CAST(NULL AS DECIMAL(30, 0))
      END AS "__fsql_s__sum_lifetime",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN __fsql_sums_link.__fsql_p0_a4
        ELSE CAST(NULL AS DECIMAL(38, 0))
      END AS "max_1d",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN __fsql_sums_link.__fsql_p0_a5
        ELSE CAST(NULL AS DECIMAL(38, 0))
      END AS "last_val",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN __fsql_sums_link.__fsql_p0_a6
        ELSE CAST(NULL AS DECIMAL(38, 0))
      END AS "__fsql_r__last_val",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN __fsql_sums_link.__fsql_p0_a7
        ELSE CAST(NULL AS TIMESTAMPNTZ)
      END AS "__fsql_rt__last_val",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN COALESCE(__fsql_sums_link.__fsql_p0_a8, 0)
        ELSE CAST(0 AS DECIMAL(38, 0))
      END AS "__fsql_events",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN __fsql_sums_link.__fsql_p0_a9
        ELSE CAST(NULL AS TIMESTAMPNTZ)
      END AS "__fsql_winner_ts",
      CASE
        WHEN NOT __fsql_sums_link.__fsql_t IS NULL AND NOT __fsql_sums_link.user_id IS NULL
        THEN __fsql_sums_link.__fsql_p0_a10
        ELSE CAST(NULL AS DECIMAL(38, 0))
      END AS "__fsql_se"
    FROM __fsql_sums_link
  ) AS __fsql_p
) AS __fsql_n
ON __fsql_tgt."user_id" = __fsql_n."user_id"
WHEN MATCHED AND __fsql_n.__fsql_absent AND (
  FALSE
) THEN DELETE
WHEN MATCHED AND NOT __fsql_n.__fsql_absent
AND (
  __fsql_n.__fsql_ts_us > DATE_PART(EPOCH_MICROSECOND, __fsql_tgt."feature_timestamp")
  OR (
    __fsql_n.__fsql_ts_us = DATE_PART(EPOCH_MICROSECOND, __fsql_tgt."feature_timestamp")
    AND COALESCE(__fsql_n.__fsql_c_us, -9223372036854775807) > COALESCE(DATE_PART(EPOCH_MICROSECOND, __fsql_tgt."created_timestamp"), -9223372036854775807)
  )
  OR (
    __fsql_n.__fsql_ts_us = DATE_PART(EPOCH_MICROSECOND, __fsql_tgt."feature_timestamp")
    AND COALESCE(__fsql_n.__fsql_c_us, -9223372036854775807) = COALESCE(DATE_PART(EPOCH_MICROSECOND, __fsql_tgt."created_timestamp"), -9223372036854775807)
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
UPDATE fsql_materializations SET finished_at = CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ)
WHERE
  run_id = 'a1ab087b7278a1813aae5c541109304d';
