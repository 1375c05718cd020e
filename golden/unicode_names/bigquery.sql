-- fsql 0.2.0 | training set of 'kundenmerkmale' | dialect bigquery | cut inclusive | created cutoff off | names short | env default
WITH __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY `kunden id`, event_timestamp, `größe`) AS __fsql_rid,
    UNIX_MICROS(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_kunden_profil_hffc81ee3_src AS (
  SELECT
    `kunden id` AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    `amount usd` AS __fsql_f0,
    tier AS __fsql_f1
  FROM profile AS __fsql_s
  WHERE
    NOT `kunden id` IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_kunden_profil_hffc81ee3_pit AS (
  SELECT
    __fsql_whole.*,
    __fsql_x.__fsql_w.ts AS __fsql_p0_ts,
    __fsql_x.__fsql_w.v0 AS __fsql_p0_f0,
    __fsql_x.__fsql_w.v1 AS __fsql_p0_f1
  FROM (
    SELECT
      __fsql_whole,
      LAST_VALUE(__fsql_row IGNORE NULLS) OVER (
        PARTITION BY __fsql_k0
        ORDER BY __fsql_o, __fsql_side, __fsql_c ASC, IS_NAN(__fsql_f0) ASC, __fsql_f0 ASC, __fsql_f1 ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS __fsql_w
    FROM (
      SELECT
        __fsql_k0,
        __fsql_ts AS __fsql_o,
        0 AS __fsql_side,
        __fsql_c,
        __fsql_f0,
        __fsql_f1,
        NULL AS __fsql_whole,
        STRUCT(__fsql_ts AS ts, __fsql_f0 AS v0, __fsql_f1 AS v1) AS __fsql_row
      FROM __fsql_kunden_profil_hffc81ee3_src
      UNION ALL
      SELECT
        __fsql_q.`kunden id` AS __fsql_k0,
        __fsql_q.__fsql_t AS __fsql_o,
        1 AS __fsql_side,
        NULL AS __fsql_c,
        NULL AS __fsql_f0,
        NULL AS __fsql_f1,
        __fsql_q AS __fsql_whole,
        NULL AS __fsql_row
      FROM __fsql_spine AS __fsql_q
    ) AS __fsql_u
  ) AS __fsql_x
  WHERE
    NOT __fsql_x.__fsql_whole IS NULL
), __fsql_gr__e_bestellungen_h75bae90e_src AS (
  SELECT
    `kunden id` AS __fsql_k0,
    UNIX_MICROS(ts) AS __fsql_ts,
    CAST(NULL AS INT64) AS __fsql_c,
    `数量` AS __fsql_x0,
    1 AS __fsql_x1
  FROM orders AS __fsql_s
  WHERE
    NOT `kunden id` IS NULL AND NOT UNIX_MICROS(ts) IS NULL
), __fsql_gr__e_bestellungen_h75bae90e_frames AS (
  SELECT
    *
  FROM (
    SELECT
      __fsql_j.*,
      SUM(CAST(__fsql_p1_x0 AS NUMERIC)) OVER (
        PARTITION BY __fsql_p1_k0
        ORDER BY __fsql_p1_o
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_p1_a0,
      COUNT(__fsql_p1_x1) OVER (
        PARTITION BY __fsql_p1_k0
        ORDER BY __fsql_p1_o
        RANGE BETWEEN 86399999999 PRECEDING AND CURRENT ROW
      ) AS __fsql_p1_a1
    FROM (
      SELECT
        __fsql_q.*,
        COALESCE(__fsql_q.`kunden id`, __fsql_e.__fsql_k0) AS __fsql_p1_k0,
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
          CAST(NULL AS INT64) AS __fsql_none,
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
  __fsql_o.*
  EXCEPT (__fsql_order),
  __fsql_o.`amount usd` / NULLIF(
    CASE
      WHEN ABS(__fsql_o.`größe`) >= ABS(__fsql_o.`amount usd`) / CAST(1.7976931348623157e+308 AS FLOAT64)
      THEN __fsql_o.`größe`
    END,
    0
  ) AS `amount je größe`,
  __fsql_o.`数量 1d` * 2 AS `数量 doppelt`
FROM (
  SELECT
    __fsql_gr__e_bestellungen_h75bae90e_frames.*
    EXCEPT (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1, __fsql_p1_k0, __fsql_p1_o, __fsql_p1_c, __fsql_p1_x0, __fsql_p1_x1, __fsql_p1_a0, __fsql_p1_a1),
    CASE
      WHEN NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t IS NULL
      AND NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_ts IS NULL
      AND __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_ts > __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t - 86400000000
      THEN __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_f0
      ELSE CAST(NULL AS FLOAT64)
    END AS `amount usd`,
    CASE
      WHEN NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t IS NULL
      AND NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_ts IS NULL
      AND __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_ts > __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t - 86400000000
      THEN __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p0_f1
      ELSE CAST(NULL AS STRING)
    END AS `merchant's "tier"`,
    CASE
      WHEN NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t IS NULL
      AND NOT __fsql_gr__e_bestellungen_h75bae90e_frames.`kunden id` IS NULL
      THEN CASE
        WHEN __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a0 IS NULL
        THEN CAST(NULL AS INT64)
        WHEN __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a0 AS INT64)
        ELSE CAST(ERROR(
          CONCAT(
            'fsql: sum größe bestellungen.数量 1d overflows int64 at a spine row: ',
            CAST(__fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a0 AS STRING),
            '; declare dtype=\'decimal(38,0)\' on the Aggregate for wider sums'
          )
        ) AS INT64)
      END
      ELSE CAST(NULL AS INT64)
    END AS `数量 1d`,
    CASE
      WHEN NOT __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_t IS NULL
      AND NOT __fsql_gr__e_bestellungen_h75bae90e_frames.`kunden id` IS NULL
      THEN COALESCE(__fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_p1_a1, 0)
      ELSE CAST(NULL AS INT64)
    END AS `anzahl bestellungen`,
    __fsql_gr__e_bestellungen_h75bae90e_frames.__fsql_rid AS __fsql_order
  FROM __fsql_gr__e_bestellungen_h75bae90e_frames
) AS __fsql_o
ORDER BY
  __fsql_o.__fsql_order
