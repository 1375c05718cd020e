-- fsql 0.2.0 | training set of 'kundenmerkmale' | dialect postgres | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY "kunden id" NULLS FIRST, event_timestamp NULLS FIRST, "größe" NULLS FIRST
    ) AS __fsql_rid,
    CAST(EXTRACT(EPOCH FROM event_timestamp) * 1000000 AS BIGINT) AS __fsql_t
  FROM spine
), __fsql_kunden_profil_hffc81ee3_src AS (
  SELECT
    "kunden id" AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    "amount usd" AS __fsql_f0,
    tier AS __fsql_f1
  FROM profile AS __fsql_s
  WHERE
    NOT "kunden id" IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_kunden_profil_hffc81ee3_pit AS (
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
    LEFT JOIN __fsql_kunden_profil_hffc81ee3_src AS __fsql_e
      ON __fsql_q."kunden id" = __fsql_e.__fsql_k0
      AND __fsql_e.__fsql_ts <= __fsql_q.__fsql_t
      AND __fsql_e.__fsql_ts > __fsql_q.__fsql_t - 86400000000
  ) AS __fsql_z
  WHERE
    __fsql_z.__fsql_p0_rank = 1
), __fsql_gr__e_bestellungen_h75bae90e_src AS (
  SELECT
    "kunden id" AS __fsql_k0,
    CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    "数量" AS __fsql_x0,
    1 AS __fsql_x1
  FROM orders AS __fsql_s
  WHERE
    NOT "kunden id" IS NULL
    AND NOT CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT) IS NULL
), __fsql_gr__e_bestellungen_h75bae90e_frames AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_j.*,
      SUM(CAST(__fsql_p1_x0 AS DECIMAL)) OVER (
        PARTITION BY __fsql_p1_k0
        ORDER BY __fsql_p1_o NULLS FIRST
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_p1_a0,
      COUNT(__fsql_p1_x1) OVER (
        PARTITION BY __fsql_p1_k0
        ORDER BY __fsql_p1_o NULLS FIRST
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_p1_a1
    FROM (
      SELECT
        __fsql_q.*,
        COALESCE(__fsql_q."kunden id", __fsql_e.__fsql_k0) AS __fsql_p1_k0,
        COALESCE(__fsql_q.__fsql_t, __fsql_e.__fsql_ts) AS __fsql_p1_o,
        __fsql_e.__fsql_c AS __fsql_p1_c,
        __fsql_e.__fsql_x0 AS __fsql_p1_x0,
        __fsql_e.__fsql_x1 AS __fsql_p1_x1
      FROM __fsql_kunden_profil_hffc81ee3_pit AS __fsql_q
      FULL JOIN (
        SELECT
          __fsql_k0,
          __fsql_ts,
          __fsql_c,
          CAST(NULL AS BIGINT) AS __fsql_none,
          __fsql_x0,
          __fsql_x1
        FROM __fsql_gr__e_bestellungen_h75bae90e_src
      ) AS __fsql_e
        ON __fsql_q.__fsql_rid = __fsql_e.__fsql_none
    ) AS __fsql_j
  ) AS __fsql_w
  WHERE
    NOT __fsql_rid IS NULL
)
SELECT
  __fsql_o."kunden id",
  __fsql_o.event_timestamp,
  __fsql_o."größe",
  __fsql_o."amount usd",
  __fsql_o."merchant's ""tier""",
  __fsql_o."数量 1d",
  __fsql_o."anzahl bestellungen",
  CAST(__fsql_o."amount usd" AS DOUBLE PRECISION) / NULLIF(
    CASE
      WHEN CASE
        WHEN ABS(__fsql_o."amount usd") < CAST(8.881784197001252e-16 AS DOUBLE PRECISION)
        THEN TRUE
        ELSE ABS(__fsql_o."größe") >= ABS(__fsql_o."amount usd") / CAST(1.7976931348623157e+308 AS DOUBLE PRECISION)
      END
      THEN __fsql_o."größe"
    END,
    0
  ) AS "amount je größe",
  __fsql_o."数量 1d" * CAST(2 AS BIGINT) AS "数量 doppelt"
FROM (
  SELECT
    __fsql_gr__e_bestellungen_h75bae90e_frames."kunden id",
    __fsql_gr__e_bestellungen_h75bae90e_frames.event_timestamp,
    __fsql_gr__e_bestellungen_h75bae90e_frames."größe",
    CASE
      WHEN NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t IS NULL
      AND NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_ts IS NULL
      AND __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_ts > __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t - 86400000000
      THEN __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_f0
      ELSE CAST(NULL AS DOUBLE PRECISION)
    END AS "amount usd",
    CASE
      WHEN NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t IS NULL
      AND NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_ts IS NULL
      AND __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_ts > __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t - 86400000000
      THEN __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_f1
      ELSE CAST(NULL AS TEXT)
    END AS "merchant's ""tier""",
    CASE
      WHEN NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t IS NULL
      AND NOT __fsql_gr__e_bestellungen_h75bae90e_frames."kunden id" IS NULL
      THEN CASE
        WHEN __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a0 IS NULL
        THEN CAST(NULL AS BIGINT)
        WHEN __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a0 AS BIGINT)
        ELSE CAST(CAST('fsql: sum größe bestellungen.数量 1d overflows int64 at a spine row: ' || CAST(__fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a0 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums' AS BIGINT) AS BIGINT)
      END
      ELSE CAST(NULL AS BIGINT)
    END AS "数量 1d",
    CASE
      WHEN NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t IS NULL
      AND NOT __fsql_gr__e_bestellungen_h75bae90e_frames."kunden id" IS NULL
      THEN COALESCE(__fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a1, 0)
      ELSE CAST(NULL AS BIGINT)
    END AS "anzahl bestellungen",
    __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_rid AS __fsql_order
  FROM __fsql_gr__e_bestellungen_h75bae90e_frames
) AS __fsql_o
ORDER BY
  __fsql_o.__fsql_order NULLS FIRST
