-- fsql materialization as of 2024-01-01T10:00:00+00:00 | dialect snowflake
-- view sums -> sums_latest (definition 93e8d1a843454b7d)
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
  "x_sum_1d" DOUBLE,
  "x_sum" DOUBLE,
  "__fsql_s__x_sum" DOUBLE,
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
  '574a46364a2d7e6fdbf540da4ee4b8bc',
  'sums',
  '93e8d1a843454b7d',
  TO_TIMESTAMP_NTZ('2024-01-01 10:00:00.000000', 'yyyy-mm-DD hh24:mi:ss.ff6'),
  1704103200000000,
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
    __fsql_p."x_sum_1d" AS "x_sum_1d",
    __fsql_p."x_sum" AS "x_sum",
    __fsql_p."__fsql_s__x_sum" AS "__fsql_s__x_sum",
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
          TO_TIMESTAMP_NTZ('2024-01-01 10:00:00.000000', 'yyyy-mm-DD hh24:mi:ss.ff6') AS __fsql_as_of
        FROM __fsql_keys
      )
    ), __fsql_sums_src AS (
      SELECT
        user_id AS __fsql_k0,
        DATE_PART(EPOCH_MICROSECOND, ts) AS __fsql_ts,
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
            DATE_PART(EPOCH_MICROSECOND, ts) < 1704103200000000
          ) THEN x END AS DOUBLE) AS __fsql_si1,
          1 AS __fsql_i2,
          ts AS __fsql_i3,
          1704103200000000 AS __fsql_sei
        FROM events AS __fsql_s
      ) AS __fsql_s
      WHERE
        NOT user_id IS NULL AND NOT DATE_PART(EPOCH_MICROSECOND, ts) IS NULL
    ), __fsql_sums_frames AS (
      SELECT
        *
      FROM (
        SELECT
          __fsql_j.*,
          SUM(__fsql_p0_x0) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
          ) AS __fsql_p0_a0,
          SUM(__fsql_p0_x1) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_p0_a1,
          SUM(__fsql_p0_x2) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_p0_a2,
          COUNT(__fsql_p0_x3) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_p0_a3,
          MAX(__fsql_p0_x4) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS __fsql_p0_a4,
          MAX(__fsql_p0_x5) OVER (
            PARTITION BY __fsql_p0_k0
            ORDER BY __fsql_p0_o NULLS FIRST
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
              CAST(NULL AS BIGINT) AS __fsql_none,
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
      EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_k0, __fsql_p0_o, __fsql_p0_c, __fsql_p0_x0, __fsql_p0_x1, __fsql_p0_x2, __fsql_p0_x3, __fsql_p0_x4, __fsql_p0_x5, __fsql_p0_a0, __fsql_p0_a1, __fsql_p0_a2, __fsql_p0_a3, __fsql_p0_a4, __fsql_p0_a5),
      CASE
        WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
        AND NOT __fsql_sums_frames.user_id IS NULL
        THEN __fsql_sums_frames.__fsql_p0_a0
        ELSE CAST(NULL AS DOUBLE)
      END AS "x_sum_1d",
      CASE
        WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
        AND NOT __fsql_sums_frames.user_id IS NULL
        THEN __fsql_sums_frames.__fsql_p0_a1
        ELSE CAST(NULL AS DOUBLE)
      END AS "x_sum",
      CASE
        WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
        AND NOT __fsql_sums_frames.user_id IS NULL
        THEN __fsql_sums_frames.__fsql_p0_a2
        ELSE CAST(NULL AS DOUBLE)
      END AS "__fsql_s__x_sum",
      CASE
        WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
        AND NOT __fsql_sums_frames.user_id IS NULL
        THEN COALESCE(__fsql_sums_frames.__fsql_p0_a3, 0)
        ELSE CAST(0 AS DECIMAL(38, 0))
      END AS "__fsql_events",
      CASE
        WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
        AND NOT __fsql_sums_frames.user_id IS NULL
        THEN __fsql_sums_frames.__fsql_p0_a4
        ELSE CAST(NULL AS TIMESTAMPNTZ)
      END AS "__fsql_winner_ts",
      CASE
        WHEN NOT __fsql_sums_frames.__fsql_t IS NULL
        AND NOT __fsql_sums_frames.user_id IS NULL
        THEN __fsql_sums_frames.__fsql_p0_a5
        ELSE CAST(NULL AS DECIMAL(38, 0))
      END AS "__fsql_se"
    FROM __fsql_sums_frames
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
UPDATE fsql_materializations SET finished_at = CAST(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) AS TIMESTAMPNTZ)
WHERE
  run_id = '574a46364a2d7e6fdbf540da4ee4b8bc';
