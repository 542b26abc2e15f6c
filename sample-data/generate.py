#!/usr/bin/env python3
"""Generate the synthetic predictive-maintenance sample data for lathe.

Pure standard library (random, math, csv, datetime), seeded and deterministic:
running it again rewrites the four CSV files byte for byte.

    python3 sample-data/generate.py          # from the repo root, or from anywhere

Files written next to this script:

    maintenance_reference.csv     10,000 labelled rows  (seed 1001)  training reference
    maintenance_unlabelled.csv     2,000 rows, empty `failure` (seed 1002)
    maintenance_fresh_stable.csv   3,000 labelled rows  (seed 1003)  same distribution
    maintenance_fresh_drift.csv    3,000 labelled rows  (seed 1004)  covariate drift

The machine fleet (ids, types, sites, per-machine baselines) comes from FLEET_SEED and
is shared by all files. See README.md for the column table and the exact drift.
"""

import csv
import math
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent

FLEET_SEED = 42
N_MACHINES = 60
SITES = ["aarhus", "bilbao", "cluj", "dundee"]
SITE_WEIGHTS = [0.35, 0.25, 0.25, 0.15]
SITE_AIR_OFFSET_K = {"aarhus": -0.6, "bilbao": 0.7, "cluj": 0.2, "dundee": -0.9}
TYPE_COUNTS = {"L": 30, "M": 18, "H": 12}  # 50 / 30 / 20 % of the fleet

COLUMNS = [
    "reading_id",
    "timestamp",
    "machine_id",
    "machine_type",
    "site",
    "air_temp_k",
    "process_temp_k",
    "rot_speed_rpm",
    "torque_nm",
    "tool_wear_min",
    "vibration_rms",
    "oil_viscosity_cst",
    "pressure_bar",
    "power_kw",
    "failure",
]

# Missing values: only these two sensor columns, each cell blank with this probability.
MISSING_COLUMNS = ("vibration_rms", "pressure_bar")
MISSING_RATE = 0.005

# Reference statistics of the undrifted process (used to define the drift precisely).
AIR_TEMP_MEAN_K = 300.0
AIR_TEMP_STD_K = 1.88  # std of air_temp_k in maintenance_reference.csv (1.881 K)
OIL_VISCOSITY_MEAN_CST = 46.0  # ISO VG 46 hydraulic oil, nominal at 40 degC

# The drift applied to maintenance_fresh_drift.csv (all other files: no drift).
DRIFT = {
    "air_temp_shift_k": 1.5 * AIR_TEMP_STD_K,  # +2.82 K ambient; process temp follows
    "vibration_scale": 1.3,  # every vibration reading x1.3
    "oil_viscosity_spread": 1.8,  # deviation from 46 cSt x1.8 (same mean, wider)
}
NO_DRIFT = {"air_temp_shift_k": 0.0, "vibration_scale": 1.0, "oil_viscosity_spread": 1.0}

# file name, seed, rows, first reading_id, start time, labelled?, drift
FILES = [
    ("maintenance_reference.csv", 1001, 10_000, 100_001, datetime(2024, 1, 8), True, NO_DRIFT),
    ("maintenance_unlabelled.csv", 1002, 2_000, 200_001, datetime(2024, 2, 26), False, NO_DRIFT),
    ("maintenance_fresh_stable.csv", 1003, 3_000, 300_001, datetime(2024, 3, 11), True, NO_DRIFT),
    ("maintenance_fresh_drift.csv", 1004, 3_000, 400_001, datetime(2024, 4, 1), True, DRIFT),
]


def build_fleet():
    """Machines with fixed id, type, site and per-machine sensor baselines."""
    rng = random.Random(FLEET_SEED)
    numbers = sorted(rng.sample(range(1, 100), N_MACHINES))
    types = [t for t, n in TYPE_COUNTS.items() for _ in range(n)]
    rng.shuffle(types)
    fleet = []
    for number, mtype in zip(numbers, types):
        fleet.append(
            {
                "machine_id": f"M-{number:04d}",
                "machine_type": mtype,
                "site": rng.choices(SITES, weights=SITE_WEIGHTS)[0],
                "vib_base": rng.uniform(1.6, 2.8),  # mm/s RMS of a healthy machine
                "pressure_base": rng.gauss(6.0, 0.25),  # bar
                "speed_base": rng.gauss(0.0, 40.0),  # rpm offset of this spindle
                "oil_offset": rng.gauss(0.0, 1.2),  # cSt, state of this machine's oil
            }
        )
    return fleet


def failure_probability(mtype, air, proc, speed, torque, wear, vib, visc, power):
    """P(failure | features): a fixed logistic model, the same for every file."""
    z = -4.7
    z += 0.024 * (wear - 110.0)  # tool wear
    z += 0.55 * ((power - 6.4) / 1.1) ** 2  # over- and under-power (both tails)
    z += 1.6 * max(0.0, 9.0 - (proc - air))  # poor heat dissipation
    z += 1.0 * (vib - 2.7)  # vibration
    z += 0.25 * max(0.0, 40.0 - visc)  # thin oil
    z += 1.2 * max(0.0, (wear * torque - 9_000.0) / 1_000.0)  # overstrain
    z += {"L": 0.35, "M": 0.0, "H": -0.35}[mtype]
    return 1.0 / (1.0 + math.exp(-z))


def generate_rows(seed, n_rows, first_id, start, labelled, drift, fleet):
    rng = random.Random(seed)
    # Tool wear is a per-machine state: it grows with use and resets when the tool is replaced.
    wear_state = {m["machine_id"]: rng.randint(0, 200) for m in fleet}
    replace_at = {m["machine_id"]: rng.randint(200, 250) for m in fleet}
    t = start + timedelta(seconds=rng.randint(0, 600))
    rows = []
    for i in range(n_rows):
        t += timedelta(seconds=rng.randint(60, 660))  # mean gap 6 min, strictly increasing
        m = rng.choice(fleet)
        mid, mtype = m["machine_id"], m["machine_type"]

        hour = t.hour + t.minute / 60.0
        air = (
            AIR_TEMP_MEAN_K
            + SITE_AIR_OFFSET_K[m["site"]]
            + 1.2 * math.sin(2.0 * math.pi * (hour - 9.0) / 24.0)  # warm afternoons
            + rng.gauss(0.0, 1.55)
            + drift["air_temp_shift_k"]
        )
        proc = air + 10.0 + rng.gauss(0.0, 1.0)

        speed = 1540.0 + m["speed_base"] + rng.gauss(0.0, 160.0)
        if rng.random() < 0.04:  # occasional high-speed finishing passes
            speed += rng.uniform(300.0, 900.0)
        speed = min(max(speed, 1150.0), 2890.0)
        torque = 40.0 - 0.045 * (speed - 1540.0) + rng.gauss(0.0, 5.0)
        torque = min(max(torque, 3.0), 80.0)
        power = torque * speed * 2.0 * math.pi / 60.0 / 1000.0 * (1.0 + rng.gauss(0.0, 0.01))

        wear_state[mid] += rng.randint(1, 8) + {"L": 0, "M": 1, "H": 2}[mtype]
        wear = wear_state[mid]

        vib = (m["vib_base"] + 0.006 * wear + 0.01 * max(0.0, speed - 1540.0) / 10.0) * math.exp(
            rng.gauss(0.0, 0.12)
        ) * drift["vibration_scale"]
        # Kinematic viscosity at the standard 40 degC lab temperature: oil condition, not heat.
        visc = OIL_VISCOSITY_MEAN_CST + m["oil_offset"] + rng.gauss(0.0, 2.0)
        visc = OIL_VISCOSITY_MEAN_CST + (visc - OIL_VISCOSITY_MEAN_CST) * drift["oil_viscosity_spread"]
        visc = max(visc, 15.0)
        pressure = m["pressure_base"] + 0.01 * (torque - 40.0) + rng.gauss(0.0, 0.3)

        # Round first, so the label is a function of exactly the values written to the file.
        air, proc = round(air, 1), round(proc, 1)
        speed, torque = round(speed, 1), round(torque, 1)
        vib, visc, pressure, power = round(vib, 2), round(visc, 1), round(pressure, 2), round(power, 2)

        p = failure_probability(mtype, air, proc, speed, torque, wear, vib, visc, power)
        failed = 1 if rng.random() < p else 0
        if wear_state[mid] >= replace_at[mid]:  # scheduled tool replacement
            wear_state[mid] = 0
            replace_at[mid] = rng.randint(200, 250)

        vib_cell = "" if rng.random() < MISSING_RATE else f"{vib:.2f}"
        pressure_cell = "" if rng.random() < MISSING_RATE else f"{pressure:.2f}"

        rows.append(
            [
                str(first_id + i),
                t.strftime("%Y-%m-%d %H:%M:%S"),
                mid,
                mtype,
                m["site"],
                f"{air:.1f}",
                f"{proc:.1f}",
                f"{speed:.1f}",
                f"{torque:.1f}",
                str(wear),
                vib_cell,
                f"{visc:.1f}",
                pressure_cell,
                f"{power:.2f}",
                str(failed) if labelled else "",
            ]
        )
    return rows


def main():
    fleet = build_fleet()
    for name, seed, n_rows, first_id, start, labelled, drift in FILES:
        rows = generate_rows(seed, n_rows, first_id, start, labelled, drift, fleet)
        path = HERE / name
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        positives = sum(1 for r in rows if r[-1] == "1")
        rate = f"{positives / len(rows):.3f}" if labelled else "unlabelled"
        print(f"wrote {path.name}: {len(rows)} rows, positive rate {rate}")


if __name__ == "__main__":
    main()
