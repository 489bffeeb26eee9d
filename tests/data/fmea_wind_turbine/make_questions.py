"""Write questions.csv (40 QA items) for sheet/fmea.csv.

Every reference value is computed here with pandas from the sheet.
Counting convention: a "failure mode" count is a count of ROWS, i.e.
(failure mode, cause) pairs, which is how the sheet lists them.
Also writes nugget_names.json: for each answerable question, the sheet names
(cell values) that its nuggets quote, so check.py can verify them.
"""

import csv
import json
import os

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
SHEET = os.path.join(HERE, "sheet", "fmea.csv")
OUT = os.path.join(HERE, "questions.csv")
NAMES_OUT = os.path.join(HERE, "nugget_names.json")

df = pd.read_csv(SHEET, keep_default_na=False)
SUB, COMP, SC = "Subsystem", "Component", "Sub-Component"
FM, EFF, SEV = "Potential Failure Mode", "Potential Effect(s) of Failure", "Severity"
CAUSE, OCC, CTRL, DET = "Potential Cause(s) of Failure", "Occurrence", "Current Controls", "Detection"
RPN, ACT = "RPN", "Recommended Action"
NO_CONTROLS = {"", "none", "n/a", "no current controls"}

UNANSWERABLE = "The FMEA does not contain this information."
items = []


def sel(**kw):
    m = pd.Series(True, index=df.index)
    for k, v in kw.items():
        col = {"sub": SUB, "comp": COMP, "sc": SC, "fm": FM, "cause": CAUSE}[k]
        m &= df[col] == v
    out = df[m]
    assert len(out), kw
    return out


def one(series):
    vals = series.unique()
    assert len(vals) == 1, list(vals)
    return vals[0]


def add(q, answer, cats, nuggets, names):
    assert 1 <= len(nuggets) <= 4, (q, nuggets)
    items.append(dict(Question=q, Answer=answer, Categories=cats, nuggets=nuggets, names=sorted(set(names))))


def add_unanswerable(q):
    items.append(
        dict(Question=q, Answer=UNANSWERABLE, Categories="Unanswerable", nuggets=[UNANSWERABLE], names=[])
    )


def f2(x):
    return f"{round(float(x), 2):.2f}"


# 1 RPN of a named sub-component (one failure mode, two causes)
r = sel(sc="Wind Vane")
fm = one(r[FM])
ng = [f"The Wind Vane has a failure mode called {fm}."]
ng += [
    f"The RPN for the Wind Vane {fm} failure mode is {x[RPN]} when the cause is {x[CAUSE]}."
    for _, x in r.iterrows()
]
add(
    "whats the rpn for the wind vane",
    f"The Wind Vane has one failure mode, {fm}, listed with {len(r)} causes: "
    + "; ".join(f"{x[CAUSE]} (RPN {x[RPN]})" for _, x in r.iterrows())
    + ".",
    "Name matching",
    ng,
    ["Wind Vane", fm, *list(r[CAUSE])],
)

# 2 severity of a named failure mode
r = sel(sc="Main Bearing", fm="Spalling")
s = one(r[SEV])
add(
    "severity of main brg spalling?",
    f"Spalling of the Main Bearing has a severity of {s}.",
    "Name matching",
    [f"The severity of the Main Bearing Spalling failure mode is {s}."],
    ["Main Bearing", "Spalling"],
)

# 3 occurrence (typo, abbreviation)
r = sel(sc="IGBT Module", fm="Overheating")
o = one(r[OCC])
add(
    "occurence rating for igbt overheating",
    f"Overheating of the IGBT Module has an occurrence of {o} for each of its {len(r)} causes ("
    + ", ".join(r[CAUSE])
    + ").",
    "Name matching",
    [f"The occurrence for the IGBT Module Overheating failure mode is {o}."],
    ["IGBT Module", "Overheating"],
)

# 4 detection, per cause (upper-case sub-component in the sheet)
r = sel(sc="YAW BRAKE", fm="Pad wear")
ng = [
    f"The detection rating for the YAW BRAKE Pad wear failure mode is {x[DET]} when the cause is {x[CAUSE]}."
    for _, x in r.iterrows()
]
add(
    "detection score for yaw brake pad wear",
    "Pad wear on the YAW BRAKE has detection "
    + " and ".join(f"{x[DET]} for cause '{x[CAUSE]}'" for _, x in r.iterrows())
    + ".",
    "Name matching",
    ng,
    ["YAW BRAKE", "Pad wear", *list(r[CAUSE])],
)

# 5 subsystem of a component
s = one(sel(comp="Transformer")[SUB])
add(
    "what subsytem is the transformer in",
    f"The Transformer component belongs to the {s} subsystem.",
    "Type matching, Name matching",
    [f"The subsystem for the Transformer is {s}."],
    ["Transformer", s],
)

# 6 components of a subsystem
comps = list(dict.fromkeys(sel(sub="Drivetrain")[COMP]))
add(
    "wat components make up the drive train",
    f"The Drivetrain subsystem has {len(comps)} components: " + ", ".join(comps) + ".",
    "Type matching",
    [f"{c} is a component of the Drivetrain subsystem." for c in comps],
    [*comps, "Drivetrain"],
)

# 7 sub-components of a component
scs = list(dict.fromkeys(sel(comp="Generator")[SC]))
add(
    "sub components of the genrator?",
    f"The Generator has {len(scs)} sub-components: " + ", ".join(scs) + ".",
    "Type matching",
    [f"{c} is a sub-component of the Generator." for c in scs],
    [*scs, "Generator"],
)

# 8 count failure modes of a component (rows)
r = sel(comp="Gearbox")
n_rows = len(r)
n_dist = r[[SC, FM]].drop_duplicates().shape[0]
add(
    "how many failure mode does the gearbox have",
    f"The Gearbox has {n_rows} rows (failure mode, cause pairs) in the FMEA, covering {n_dist} distinct "
    f"failure modes across its sub-components.",
    "Aggregation/ Computation, Name matching",
    [f"The Gearbox has {n_rows} rows (failure mode, cause pairs) in the FMEA."],
    ["Gearbox"],
)

# 9 count failure modes of a sub-component
r = sel(sc="Slip Rings")
fm = one(r[FM])
add(
    "how many failure modes on slip ring",
    f"The Slip Rings have {len(r)} rows (failure mode, cause pairs), all for the single failure mode {fm}.",
    "Aggregation/ Computation, Name matching",
    [
        f"The Slip Rings have {len(r)} rows (failure mode, cause pairs) in the FMEA.",
        f"The Slip Rings failure mode is {fm}.",
    ],
    ["Slip Rings", fm],
)

# 10 causes of a failure mode on a part
r = sel(comp="Gearbox", sc="Seals", fm="Leak")
add(
    "what causes leaks on the gearbox seals",
    "Leak on the gearbox Seals is caused by " + " and ".join(r[CAUSE]) + ".",
    "Name matching",
    [f"{c} is a cause of Leak on the Seals." for c in r[CAUSE]],
    ["Seals", "Leak", *list(r[CAUSE])],
)

# 11 effect
r = sel(sc="Blade Root", fm="Cracking")
e = one(r[EFF])
add(
    "effects of cracking in the blade roots",
    f"Cracking of the Blade Root leads to: {e}.",
    "Name matching",
    [f"The effect of Cracking on the Blade Root is {e}."],
    ["Blade Root", "Cracking", e],
)

# 12 current controls
r = sel(sc="Main Bearing", fm="Overheating")
ctrls = list(dict.fromkeys(r[CTRL]))
add(
    "current controls for main bearing over heating",
    "Main Bearing Overheating is controlled by: "
    + "; ".join(f"{x[CTRL]} (for {x[CAUSE]})" for _, x in r.iterrows())
    + ".",
    "Name matching",
    [f"{c} is a current control for Overheating of the Main Bearing." for c in ctrls],
    ["Main Bearing", "Overheating", *ctrls],
)

# 13 recommended action
r = sel(sc="Anchor Bolts", fm="Corrosion")
a = one(r[ACT])
add(
    "recomended action anchor bolt corrosion",
    f"For Corrosion of the Anchor Bolts the recommended action is: {a}",
    "Name matching",
    [f"The recommended action for Anchor Bolts Corrosion is: {a}"],
    ["Anchor Bolts", "Corrosion", a],
)

# 14 which of two causes is likelier (compare occurrence)
r = sel(sc="Blade Shell")
fm = one(r[FM])
ca = "Lightning strike"
cb = one(r[r[CAUSE].str.startswith("Fatigue")][CAUSE])
oa, ob = int(sel(sc="Blade Shell", cause=ca)[OCC].iloc[0]), int(sel(sc="Blade Shell", cause=cb)[OCC].iloc[0])
assert oa != ob
likelier = ca if oa > ob else cb
add(
    "is lightning or fatigue more likely to cause delam on blade shell",
    f"{likelier} is the likelier cause: on the Blade Shell ({fm}) fatigue has occurrence {ob} "
    f"versus {oa} for lightning.",
    "Name matching, Numeric ranking",
    [
        f"{cb} has an occurrence of {ob} for {fm} on the Blade Shell.",
        f"{ca} has an occurrence of {oa} for {fm} on the Blade Shell.",
        f"{likelier} is the likelier cause of {fm} on the Blade Shell.",
    ],
    ["Blade Shell", fm, ca, cb],
)

# 15 highest RPN within a subsystem
r = sel(sub="Electrical System")
top = r[r[RPN] == r[RPN].max()]
assert len(top) == 1
x = top.iloc[0]
add(
    "highest rpn in electrical system",
    f"The highest RPN in the Electrical System is {x[RPN]}: {x[FM]} of the {x[SC]} caused by {x[CAUSE]}.",
    "Type matching, Numeric ranking",
    [
        f"The highest RPN in the Electrical System subsystem is {x[RPN]}.",
        f"It is {x[FM]} of the {x[SC]}, caused by {x[CAUSE]}.",
    ],
    ["Electrical System", x[SC], x[FM], x[CAUSE]],
)

# 16 lowest severity within a subsystem
r = sel(sub="Tower and Foundation")
low = r[r[SEV] == r[SEV].min()][[SC, FM, SEV]].drop_duplicates()
assert len(low) == 1
x = low.iloc[0]
add(
    "lowest severity failure in tower & foundation",
    f"The lowest severity in Tower and Foundation is {x[SEV]}, for {x[FM]} of the {x[SC]}.",
    "Type matching, Numeric ranking",
    [
        f"The lowest severity in the Tower and Foundation subsystem is {x[SEV]}.",
        f"It belongs to the {x[SC]} {x[FM]} failure mode.",
    ],
    ["Tower and Foundation", x[SC], x[FM]],
)

# 17 highest severity within a subsystem (ties)
r = sel(sub="Rotor")
smax = r[SEV].max()
top = r[r[SEV] == smax][[SC, FM]].drop_duplicates()
assert len(top) <= 3
add(
    "which rotor failure mode has the highest severity",
    f"The highest severity in the Rotor subsystem is {smax}, shared by "
    + ", ".join(f"{a} {b}" for a, b in top.values)
    + ".",
    "Type matching, Numeric ranking",
    [f"The highest severity in the Rotor subsystem is {smax}."]
    + [f"The {a} {b} failure mode has a severity of {smax}." for a, b in top.values],
    ["Rotor", *list(top[SC]), *list(top[FM])],
)

# 18 top 3 RPN overall
top = df.sort_values(RPN, ascending=False).head(4)
assert top[RPN].iloc[2] > top[RPN].iloc[3]
top = top.head(3)
add(
    "top 3 rpn's across the whole turbine",
    "The three highest RPNs are "
    + "; ".join(f"{x[RPN]} ({x[SC]} {x[FM]}, cause {x[CAUSE]})" for _, x in top.iterrows())
    + ".",
    "Numeric ranking",
    [f"{x[FM]} of the {x[SC]} caused by {x[CAUSE]} has an RPN of {x[RPN]}." for _, x in top.iterrows()],
    list(top[SC]) + list(top[FM]) + list(top[CAUSE]),
)

# 19 filter severity >= 8 within a subsystem
r = sel(sub="Nacelle and Yaw")
hit = r[r[SEV] >= 8][[SC, FM, SEV]].drop_duplicates()
assert 1 <= len(hit) <= 4
add(
    "nacelle and yaw failure modes with severity 8 or higher",
    "In Nacelle and Yaw, severity 8 or more: "
    + "; ".join(f"{x[SC]} {x[FM]} (severity {x[SEV]})" for _, x in hit.iterrows())
    + ".",
    "Type matching, Numeric filtering",
    [
        f"In the Nacelle and Yaw subsystem, the {x[SC]} {x[FM]} failure mode has a severity of {x[SEV]}."
        for _, x in hit.iterrows()
    ],
    ["Nacelle and Yaw", *list(hit[SC]), *list(hit[FM])],
)

# 20 filter RPN > 200 (strictly; 200 itself excluded)
hit = df[df[RPN] > 200]
assert 1 <= len(hit) <= 4 and (df[RPN] == 200).any()
add(
    "which failure modes have RPN above 200",
    "Only "
    + " and ".join(f"{x[SC]} {x[FM]} (cause {x[CAUSE]}, RPN {x[RPN]})" for _, x in hit.iterrows())
    + " have an RPN above 200.",
    "Numeric filtering",
    [f"{x[FM]} of the {x[SC]} caused by {x[CAUSE]} has an RPN of {x[RPN]}." for _, x in hit.iterrows()],
    list(hit[SC]) + list(hit[FM]) + list(hit[CAUSE]),
)

# 21 no current controls, within a subsystem
r = sel(sub="Nacelle and Yaw")
hit = r[r[CTRL].str.strip().str.lower().isin(NO_CONTROLS)]
assert 1 <= len(hit) <= 4
add(
    "which parts in nacelle & yaw have no controls",
    "Rows with no current controls (None / N/A) in Nacelle and Yaw: "
    + "; ".join(f"{x[SC]} {x[FM]} caused by {x[CAUSE]}" for _, x in hit.iterrows())
    + ".",
    "Type matching, Numeric filtering",
    [
        f"In the Nacelle and Yaw subsystem, the {x[SC]} {x[FM]} failure mode caused by {x[CAUSE]} has no current controls."  # noqa: E501
        for _, x in hit.iterrows()
    ],
    ["Nacelle and Yaw", *list(hit[SC]), *list(hit[FM]), *list(hit[CAUSE])],
)

# 22 average RPN of a subsystem
v = f2(sel(sub="Electrical System")[RPN].mean())
add(
    "avg rpn elec system",
    f"The average RPN of the Electrical System subsystem over its {len(sel(sub='Electrical System'))} rows is {v}.",  # noqa: E501
    "Type matching, Aggregation/ Computation",
    [f"The average RPN of the Electrical System subsystem is {v}."],
    ["Electrical System"],
)

# 23 average severity of a component (over rows)
r = sel(comp="Gearbox")
v = f2(r[SEV].mean())
add(
    "whats the avg severity for the gearbox",
    f"Averaged over its {len(r)} rows, the Gearbox has an average severity of {v}.",
    "Aggregation/ Computation, Name matching",
    [f"The average severity of the Gearbox (over its {len(r)} rows) is {v}."],
    ["Gearbox"],
)

# 24 count rows with RPN > 150
n = int((df[RPN] > 150).sum())
add(
    "how many failure modes have a rpn over 150",
    f"{n} rows (failure mode, cause pairs) have an RPN above 150.",
    "Numeric filtering, Aggregation/ Computation",
    [f"{n} rows (failure mode, cause pairs) have an RPN above 150."],
    [],
)

# 25 count rows in a subsystem
n = len(sel(sub="Rotor"))
add(
    "total no. of failure modes in rotor subsystem",
    f"The Rotor subsystem has {n} rows (failure mode, cause pairs) in the FMEA.",
    "Type matching, Aggregation/ Computation",
    [f"The Rotor subsystem has {n} rows (failure mode, cause pairs)."],
    ["Rotor"],
)

# 26 subsystem with the most rows
cnt = df.groupby(SUB).size().sort_values(ascending=False)
assert cnt.iloc[0] > cnt.iloc[1]
add(
    "which subsystem has the most failure modes",
    f"{cnt.index[0]} has the most rows (failure mode, cause pairs): {cnt.iloc[0]}, ahead of "
    f"{cnt.index[1]} with {cnt.iloc[1]}. It also has the most distinct (sub-component, failure mode) pairs: "
    f"{df[df[SUB] == cnt.index[0]][[SC, FM]].drop_duplicates().shape[0]}.",
    "Aggregation/ Computation, Numeric ranking",
    [f"The {cnt.index[0]} subsystem has the most rows (failure mode, cause pairs), with {cnt.iloc[0]}."],
    [cnt.index[0]],
)

# 27 detection >= 7 within a subsystem
r = sel(sub="Electrical System")
hit = r[r[DET] >= 7]
assert 1 <= len(hit) <= 4
add(
    "electrical failure modes w/ detection 7 or more",
    "In the Electrical System, detection of 7 or more: "
    + "; ".join(f"{x[SC]} {x[FM]} caused by {x[CAUSE]} (detection {x[DET]})" for _, x in hit.iterrows())
    + ".",
    "Type matching, Numeric filtering",
    [
        f"In the Electrical System, {x[FM]} of the {x[SC]} caused by {x[CAUSE]} has a detection rating of {x[DET]}."  # noqa: E501
        for _, x in hit.iterrows()
    ],
    ["Electrical System", *list(hit[SC]), *list(hit[FM]), *list(hit[CAUSE])],
)

# 28 sub-component name shared by two components: ask for one of them
r = sel(comp="Power Converter", sc="Cooling Fan")
assert df[df[SC] == "Cooling Fan"][COMP].nunique() == 2
fm = one(r[FM])
add(
    "what failure modes does the cooling fan in the convertor have",
    f"The Power Converter Cooling Fan has one failure mode, {fm}, with causes "
    + " and ".join(r[CAUSE])
    + ".",
    "Name matching",
    [f"The Power Converter Cooling Fan has a failure mode called {fm}."]
    + [f"{c} is a cause of {fm} on the Power Converter Cooling Fan." for c in r[CAUSE]],
    ["Power Converter", "Cooling Fan", fm, *list(r[CAUSE])],
)

# 29 what a component is made of
scs = list(dict.fromkeys(sel(comp="Pitch System")[SC]))
add(
    "what does the pitch system consist of",
    "The Pitch System is made up of " + ", ".join(scs) + ".",
    "Type matching",
    [f"{c} is a sub-component of the Pitch System." for c in scs],
    [*scs, "Pitch System"],
)

# ------------------------------------------------------------- semantic (everyday words)
# 30 ice up -> Ice accretion
r = sel(sc="Leading Edge", fm="Ice accretion")
add(
    "what makes the blades ice up",
    "Ice accretion on the blade Leading Edge is caused by " + " and by ".join(r[CAUSE]) + ".",
    "Semantic matching",
    ["The Leading Edge has a failure mode called Ice accretion."]
    + [f"{c} is a cause of Ice accretion on the Leading Edge." for c in r[CAUSE]],
    ["Leading Edge", "Ice accretion", *list(r[CAUSE])],
)

# 31 nacelle too hot -> Ventilation Fan fails to run, Air Filter clogged
vf = sel(sc="Ventilation Fan")
af = sel(sc="Air Filter")
assert "temperature" in one(vf[EFF]).lower() and "temperature" in one(af[EFF]).lower()
vfm, afm = one(vf[FM]), one(af[FM])
af_main = af.sort_values(OCC, ascending=False)[CAUSE].iloc[0]
add(
    "why would the nacelle get to hot inside",
    f"The nacelle overheats when the Ventilation Fan {vfm.lower()} ("
    + " or ".join(vf[CAUSE])
    + f") or the Air Filter is {afm.lower()} ("
    + " or ".join(af[CAUSE])
    + ").",
    "Semantic matching",
    [
        f"The Ventilation Fan has a failure mode called {vfm}, which makes the nacelle temperature rise.",
        " and ".join(vf[CAUSE]) + f" are causes of {vfm} on the Ventilation Fan.",
        f"The Air Filter has a failure mode called {afm}, which reduces airflow and raises internal temperatures.",  # noqa: E501
        f"{af_main} is a cause of {afm} on the Air Filter.",
    ],
    ["Ventilation Fan", vfm, "Air Filter", afm, af_main, *list(vf[CAUSE])],
)

# 32 tower shake -> Excessive oscillation
r = sel(sc="Tower Shell", fm="Excessive oscillation")
add(
    "what could make the tower shake",
    "Excessive oscillation of the Tower Shell, caused by " + "; ".join(r[CAUSE]) + ".",
    "Semantic matching",
    ["The Tower Shell has a failure mode called Excessive oscillation."]
    + [f"{c} is a cause of Excessive oscillation on the Tower Shell." for c in r[CAUSE]],
    ["Tower Shell", "Excessive oscillation", *list(r[CAUSE])],
)

# 33 dirty gearbox oil -> Contamination
r = sel(sc="Oil Lubrication System", fm="Contamination")
add(
    "why would gearbox oil get dirty",
    "Contamination of the gearbox Oil Lubrication System comes from " + "; ".join(r[CAUSE]) + ".",
    "Semantic matching",
    ["The Oil Lubrication System has a failure mode called Contamination."]
    + [f"{c} is a cause of Contamination on the Oil Lubrication System." for c in r[CAUSE]],
    ["Oil Lubrication System", "Contamination", *list(r[CAUSE])],
)

# 34 flat pitch batteries -> Insufficient capacity effect
r = sel(sc="Backup Battery")
fm, e = one(r[FM]), one(r[EFF])
add(
    "what happens if pitch batteries are flat when grid drops out",
    f"That is {fm} of the Backup Battery: {e}.",
    "Semantic matching",
    [
        f"The Backup Battery has a failure mode called {fm}.",
        f"The effect of {fm} on the Backup Battery is {e}.",
    ],
    ["Backup Battery", fm, e],
)

# 35 sparks at the generator brushes -> Arcing / flashover on Slip Rings
r = sel(sc="Slip Rings")
fm = one(r[FM])
add(
    "what makes sparks at the generator brushes",
    f"That is {fm} on the Slip Rings, caused by " + ", ".join(r[CAUSE]) + ".",
    "Semantic matching",
    [f"The Slip Rings have a failure mode called {fm}."]
    + [f"{c} is a cause of {fm} on the Slip Rings." for c in r[CAUSE]],
    ["Slip Rings", fm, *list(r[CAUSE])],
)

# ------------------------------------------------------------- unanswerable
for q in [
    "how much does a new main bearing cost",
    "part number for the pitch motor?",
    "who supplies the igbt modules",
    "when was the gearbox oil last changed",
    "rpn for the aviation warning light",
]:
    add_unanswerable(q)

# ------------------------------------------------------------- write, in a mixed order
order = [
    0,
    30,
    1,
    2,
    15,
    4,
    36,
    3,
    5,
    9,
    31,
    6,
    7,
    22,
    8,
    10,
    37,
    11,
    12,
    13,
    32,
    14,
    16,
    17,
    38,
    18,
    19,
    33,
    20,
    21,
    23,
    24,
    39,
    25,
    26,
    34,
    27,
    28,
    35,
    29,
]
assert sorted(order) == list(range(40)) and len(items) == 40
rows, names = [], {}
for i, k in enumerate(order, start=1):
    it = items[k]
    rows.append(
        dict(
            ID=i,
            Question=it["Question"],
            Answer=it["Answer"],
            Categories=it["Categories"],
            Nuggets=json.dumps([{"nugget": n, "status": "ESSENTIAL"} for n in it["nuggets"]]),
        )
    )
    names[str(i)] = it["names"]
pd.DataFrame(rows).to_csv(OUT, index=False, quoting=csv.QUOTE_MINIMAL)
with open(NAMES_OUT, "w") as fh:
    json.dump(names, fh, indent=1)
print(f"wrote {OUT} ({len(rows)} questions) and {NAMES_OUT}")
print(pd.DataFrame(rows)["Categories"].value_counts().to_string())
