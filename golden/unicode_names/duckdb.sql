-- fsql 0.2.0 | training set of 'kundenmerkmale' | dialect duckdb | cut inclusive | created cutoff off | names short | env default
WITH RECURSIVE __fsql_spine AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      ORDER BY "kunden id" NULLS FIRST, event_timestamp NULLS FIRST, "größe" NULLS FIRST
    ) AS __fsql_rid,
    EPOCH_US(event_timestamp) AS __fsql_t
  FROM spine
), __fsql_kunden_profil_hffc81ee3_src AS NOT MATERIALIZED (
  SELECT
    "kunden id" AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    "amount usd" AS __fsql_f0,
    tier AS __fsql_f1
  FROM profile AS __fsql_s
  WHERE
    NOT "kunden id" IS NULL AND NOT EPOCH_US(ts) IS NULL
), __fsql_kunden_profil_hffc81ee3_pit AS (
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
      FROM __fsql_kunden_profil_hffc81ee3_src
    ) AS __fsql_n
      ON __fsql_q."kunden id" = __fsql_n.__fsql_k0
      AND __fsql_n.__fsql_ts <= __fsql_q.__fsql_t
  ) AS __fsql_m
  LEFT JOIN __fsql_kunden_profil_hffc81ee3_src AS __fsql_e
    ON __fsql_m."kunden id" = __fsql_e.__fsql_k0
    AND __fsql_e.__fsql_ts = __fsql_m.__fsql_p0_ts
    AND __fsql_m.__fsql_p0_ts > __fsql_m.__fsql_t - 86400000000
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY __fsql_m.__fsql_rid
      ORDER BY __fsql_e.__fsql_c DESC, __fsql_e.__fsql_f0 DESC, __fsql_e.__fsql_f1 DESC
    ) = 1
), __fsql_gr__e_bestellungen_h75bae90e_src AS (
  SELECT
    "kunden id" AS __fsql_k0,
    EPOCH_US(ts) AS __fsql_ts,
    CAST(NULL AS BIGINT) AS __fsql_c,
    "数量" AS __fsql_x0,
    1 AS __fsql_x1
  FROM orders AS __fsql_s
  CROSS JOIN (
    SELECT
      MIN(__fsql_t) AS __fsql_lo,
      MAX(__fsql_t) AS __fsql_hi
    FROM __fsql_spine
  ) AS __fsql_b
  WHERE
    NOT "kunden id" IS NULL
    AND EPOCH_US(ts) <= __fsql_b.__fsql_hi
    AND EPOCH_US(ts) >= __fsql_b.__fsql_lo - 86400000000
), __fsql_gr__e_bestellungen_h75bae90e_good AS (
  SELECT
    __fsql_rid,
    "kunden id" AS __fsql_k0,
    __fsql_t
  FROM __fsql_spine
  WHERE
    NOT __fsql_t IS NULL AND NOT "kunden id" IS NULL
), __fsql_gr__e_bestellungen_h75bae90e_run AS MATERIALIZED (
  SELECT
    __fsql_rid,
    __fsql_wi,
    COUNT(__fsql_pos) OVER (
      ORDER BY __fsql_k0 NULLS FIRST, __fsql_o NULLS FIRST, __fsql_kind NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __fsql_pos,
    __fsql_val0
  FROM (
    SELECT
      __fsql_k0,
      __fsql_ts AS __fsql_o,
      0 AS __fsql_kind,
      CAST(NULL AS BIGINT) AS __fsql_rid,
      CAST(NULL AS INT) AS __fsql_wi,
      1 AS __fsql_pos,
      __fsql_x0 AS __fsql_val0
    FROM __fsql_gr__e_bestellungen_h75bae90e_src
    UNION ALL
    SELECT
      __fsql_g.__fsql_k0,
      COALESCE(__fsql_g.__fsql_t - __fsql_w.__fsql_us, -9223372036854775807) AS __fsql_o,
      1 AS __fsql_kind,
      __fsql_g.__fsql_rid,
      __fsql_w.__fsql_wi,
      NULL AS __fsql_pos,
      NULL AS __fsql_val0
    FROM __fsql_gr__e_bestellungen_h75bae90e_good AS __fsql_g
    CROSS JOIN (VALUES
      (0, 0),
      (1, 86400000000)) AS __fsql_w(__fsql_wi, __fsql_us)
  ) AS __fsql_u
), __fsql_gr__e_bestellungen_h75bae90e_cnt AS (
  SELECT
    __fsql_rid,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) - MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_pos END) AS __fsql_a1,
    MAX(CASE WHEN __fsql_wi = 0 THEN __fsql_pos END) AS __fsql_hi,
    MAX(CASE WHEN __fsql_wi = 1 THEN __fsql_pos END) AS __fsql_lo1
  FROM __fsql_gr__e_bestellungen_h75bae90e_run
  WHERE
    NOT __fsql_rid IS NULL
  GROUP BY
    __fsql_rid
), __fsql_gr__e_bestellungen_h75bae90e_blocks AS (
  SELECT
    0 AS __fsql_l,
    __fsql_pos - 1 AS __fsql_b,
    CAST(__fsql_val0 AS INT128) AS __fsql_sum0
  FROM __fsql_gr__e_bestellungen_h75bae90e_run
  WHERE
    __fsql_rid IS NULL
  UNION ALL
  SELECT
    __fsql_l + 1 AS __fsql_l,
    (
      __fsql_b >> 1
    ) AS __fsql_b,
    SUM(__fsql_sum0) AS __fsql_sum0
  FROM __fsql_gr__e_bestellungen_h75bae90e_blocks
  WHERE
    __fsql_l < 39
  GROUP BY
    __fsql_l + 1,
    (
      __fsql_b >> 1
    )
), __fsql_gr__e_bestellungen_h75bae90e_cover AS (
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
        FROM __fsql_gr__e_bestellungen_h75bae90e_cnt
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
), __fsql_gr__e_bestellungen_h75bae90e_bk AS (
  SELECT
    __fsql_q.__fsql_rid,
    SUM(CASE WHEN __fsql_q.__fsql_wi = 1 THEN __fsql_blk.__fsql_sum0 END) AS __fsql_a0
  FROM __fsql_gr__e_bestellungen_h75bae90e_cover AS __fsql_q
  JOIN __fsql_gr__e_bestellungen_h75bae90e_blocks AS __fsql_blk
    ON __fsql_blk.__fsql_l = __fsql_q.__fsql_l
    AND __fsql_blk.__fsql_b = __fsql_q.__fsql_b
  GROUP BY
    __fsql_q.__fsql_rid
)
SELECT
  __fsql_o.*
  EXCLUDE (__fsql_order),
  __fsql_o."amount usd" / NULLIF(
    CASE
      WHEN ABS(__fsql_o."größe") >= ABS(__fsql_o."amount usd") / CAST(1.7976931348623157e+308 AS DOUBLE)
      THEN __fsql_o."größe"
    END,
    0
  ) AS "amount je größe",
  __fsql_o."数量 1d" * CAST(2 AS BIGINT) AS "数量 doppelt"
FROM (
  SELECT
    __fsql_kunden_profil_hffc81ee3_pit.*
    EXCLUDE (__fsql_rid, __fsql_t, __fsql_p0_ts, __fsql_p0_f0, __fsql_p0_f1),
    CASE
      WHEN NOT __fsql_kunden_profil_hffc81ee3_pit.__fsql_t IS NULL
      AND NOT __fsql_kunden_profil_hffc81ee3_pit.__fsql_p0_ts IS NULL
      AND __fsql_kunden_profil_hffc81ee3_pit.__fsql_p0_ts > __fsql_kunden_profil_hffc81ee3_pit.__fsql_t - 86400000000
      THEN __fsql_kunden_profil_hffc81ee3_pit.__fsql_p0_f0
      ELSE CAST(NULL AS DOUBLE)
    END AS "amount usd",
    CASE
      WHEN NOT __fsql_kunden_profil_hffc81ee3_pit.__fsql_t IS NULL
      AND NOT __fsql_kunden_profil_hffc81ee3_pit.__fsql_p0_ts IS NULL
      AND __fsql_kunden_profil_hffc81ee3_pit.__fsql_p0_ts > __fsql_kunden_profil_hffc81ee3_pit.__fsql_t - 86400000000
      THEN __fsql_kunden_profil_hffc81ee3_pit.__fsql_p0_f1
      ELSE CAST(NULL AS TEXT)
    END AS "merchant's ""tier""",
    CASE
      WHEN NOT __fsql_kunden_profil_hffc81ee3_pit.__fsql_t IS NULL
      AND NOT __fsql_kunden_profil_hffc81ee3_pit."kunden id" IS NULL
      THEN CASE
        WHEN __fsql_gr__e_bestellungen_h75bae90e_bk.__fsql_a0 IS NULL
        THEN CAST(NULL AS BIGINT)
        WHEN __fsql_gr__e_bestellungen_h75bae90e_bk.__fsql_a0 BETWEEN -9223372036854775808 AND 9223372036854775807
        THEN CAST(__fsql_gr__e_bestellungen_h75bae90e_bk.__fsql_a0 AS BIGINT)
        ELSE CAST(ERROR(
          'fsql: sum größe bestellungen.数量 1d overflows int64 at a spine row: ' || CAST(__fsql_gr__e_bestellungen_h75bae90e_bk.__fsql_a0 AS TEXT) || '; declare dtype=''decimal(38,0)'' on the Aggregate for wider sums'
        ) AS BIGINT)
      END
      ELSE CAST(NULL AS BIGINT)
    END AS "数量 1d",
    CASE
      WHEN NOT __fsql_kunden_profil_hffc81ee3_pit.__fsql_t IS NULL
      AND NOT __fsql_kunden_profil_hffc81ee3_pit."kunden id" IS NULL
      THEN COALESCE(__fsql_gr__e_bestellungen_h75bae90e_cnt.__fsql_a1, 0)
      ELSE CAST(NULL AS BIGINT)
    END AS "anzahl bestellungen",
    __fsql_kunden_profil_hffc81ee3_pit.__fsql_rid AS __fsql_order
  FROM __fsql_kunden_profil_hffc81ee3_pit
  LEFT JOIN __fsql_gr__e_bestellungen_h75bae90e_cnt
    ON __fsql_kunden_profil_hffc81ee3_pit.__fsql_rid = __fsql_gr__e_bestellungen_h75bae90e_cnt.__fsql_rid
  LEFT JOIN __fsql_gr__e_bestellungen_h75bae90e_bk
    ON __fsql_kunden_profil_hffc81ee3_pit.__fsql_rid = __fsql_gr__e_bestellungen_h75bae90e_bk.__fsql_rid
) AS __fsql_o
ORDER BY
  __fsql_o.__fsql_order NULLS FIRST
