"""Write sheet/fmea.csv: a hand-written FMEA of a 3 MW onshore wind turbine.

One row per (failure mode, cause) pair; hierarchy, failure mode, effect and
severity repeated on every row of the group (filled-down layout).
The mess (upper case cells, typos, blanks, N/A / None controls) is deliberate.
"""

import csv
import os

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "sheet", "fmea.csv")

COLUMNS = [
    "Subsystem",
    "Component",
    "Sub-Component",
    "Potential Failure Mode",
    "Potential Effect(s) of Failure",
    "Severity",
    "Potential Cause(s) of Failure",
    "Occurrence",
    "Current Controls",
    "Detection",
    "RPN",
    "Recommended Action",
]

# (subsystem, component, sub-component, failure mode, effect, severity,
#   [(cause, occurrence, current controls, detection, recommended action), ...])
G = []


def g(sub, comp, subc, fm, eff, sev, causes):
    G.append((sub, comp, subc, fm, eff, sev, causes))


# ----------------------------------------------------------------- Rotor
R = "Rotor"
g(
    R,
    "Blades",
    "Leading Edge",
    "Erosion",
    "Loss of aerodynamic efficiency and reduced AEP. Exposes laminate to further damage.",
    5,
    [
        (
            "Rain and hail impact at high tip speed",
            6,
            "Drone visual inspection annually",
            4,
            "Apply leading edge protection (LEP) tape or coating. Repair during the 2-yearly rope access campaign.",  # noqa: E501
        ),
        (
            "Airborne sand/dust particles",
            3,
            "Drone visual inspection annually",
            4,
            "Repair LEP when erosion reaches category 3.",
        ),
        ("Poor LEP coating application at factory", 2, "None", 7, ""),
    ],
)
g(
    R,
    "Blades",
    "Leading Edge",
    "Ice accretion",
    "Rotor imbalance and vibraton, power loss, ice throw hazard to personnel and public",
    7,
    [
        (
            "Supercooled fog or freezing rain with ambient temperature near 0 C",
            5,
            "Power curve deviation alarm in SCADA; nacelle ice detector",
            3,
            "Stop turbine on ice detection and restart only after visual check. Review ice throw risk zone annually.",  # noqa: E501
        ),
        (
            "Extended idling at low wind in sub-zero conditions",
            3,
            "SCADA ambient temperature monitoring",
            5,
            "Consider blade heating retrofit for cold sites.",
        ),
    ],
)
g(
    R,
    "Blades",
    "Blade Root",
    "Cracking",
    "Blade detachment risk, catastrophic rotor failure",
    10,
    [
        (
            "Fatigue loading from turbulence and gusts",
            3,
            "Visual inspection of root area every 6 months. CMS blade load monitoring.",
            5,
            "NDT (ultrasonic) of root laminate at 5-year inspection.",
        ),
        (
            "Manufacturing defect (dry fibres, wrinkles) in root laminate",
            2,
            "Factory QA records",
            8,
            "Ultrasonic NDT of all blades from the suspect batch.",
        ),
    ],
)
g(
    R,
    "Blades",
    "Blade Root",
    "Loose root bolts",
    "Increased fatigue load on bolts, bolt fracture, blade loss",
    9,
    [
        (
            "Loss of bolt pretension over time",
            4,
            "Torque check on 10% of bolts annually",
            4,
            "Full re-torque at 500 h after commissioning, then 10% sample annually.",
        ),
        (
            "Incorrect tightening at installation",
            2,
            "Installation torque records",
            6,
            "Audit installation torque records. Use hydraulic tensioning tool instead of torque wrench.",
        ),
    ],
)
g(
    R,
    "Blades",
    "Lightning Receptor",
    "Burnt / detached receptor",
    "Lightning attaches to laminate instead of receptor; shell burn-through and delamination",
    8,
    [
        (
            "Repeated lightning strikes eroding receptor",
            4,
            "Lightning strike counter in SCADA. Visual insp. annually.",
            4,
            "Replace receptors after any recorded strike above 100 kA.",
        ),
        ("Corroded receptor thread", 2, "None", 7, ""),
    ],
)
g(
    R,
    "Blades",
    "Lightning Receptor",
    "High resistance in down conductor",
    "Lightning current cannot reach ground; internal arcing and blade damage",
    8,
    [
        (
            "Broken down conductor cable inside blade",
            2,
            "Continuity / resistance measurement every 2 years",
            6,
            "Resistance test annually at coastal sites.",
        ),
    ],
)
g(
    R,
    "Blades",
    "Blade Shell",
    "Delaminaton",
    "Loss of structural integrity, crack growth, possible blade failure",
    8,
    [
        (
            "Lightning strike",
            2,
            "Drone visual inspection annually",
            5,
            "Rope access repair. NDT tap test around strike point.",
        ),
        (
            "Fatigue of adhesive bond line at trailing edge",
            4,
            "Drone visual inspection annually",
            6,
            "Trailing edge inspection by rope access every 2 years.",
        ),
        ("Moisture ingress through damaged gelcoat", 3, "Visual inspection", 6, ""),
    ],
)
g(
    R,
    "Hub",
    "Hub Casting",
    "Cracking",
    "Structural failure of hub, loss of rotor",
    10,
    [
        (
            "Casting porosity or defect",
            1,
            "Visual inspection at annual service",
            6,
            "MPI (magnetic particle) NDT of high-stress areas at 10-year inspection.",
        ),
        (
            "Fatigue from rotor imbalance",
            2,
            "CMS vibration monitoring",
            5,
            "Rebalance rotor if 1P vibration exceeds limit.",
        ),
    ],
)
g(
    R,
    "Hub",
    "Spinner",
    "Cracked / loose spinner panels",
    "Water ingress into hub; debris falling from height",
    4,
    [
        (
            "Loose fasteners due to vibration",
            4,
            "Visual check at annual service",
            3,
            "Re-torque spinner brackets annually.",
        ),
        ("UV degradation of GRP", 3, "N/A", 5, ""),
    ],
)
g(
    R,
    "Pitch System",
    "Pitch Bearing",
    "Wear",
    "Increased pitch friction, slow pitching, pitch fault trips",
    6,
    [
        (
            "Inadequate grease lubrication",
            5,
            "Auto-lube system. Grease sampling annually.",
            5,
            "Check auto-lube pump and grease lines every 6 months.",
        ),
        (
            "Small oscillating pitch movements (false brinelling)",
            4,
            "CMS trend of pitch motor current",
            6,
            "Implement pitch exercise routine in the controller.",
        ),
    ],
)
g(
    R,
    "Pitch System",
    "Pitch Bearing",
    "Cracking",
    "Bearing ring fracture, blade drop risk",
    10,
    [
        (
            "Bolt hole fatigue in bearing ring",
            2,
            "Visual inspection of ring annually",
            7,
            "Ultrasonic NDT of bolt hole area at 5 years. Consider stiffening plate retrofit.",
        ),
    ],
)
g(
    R,
    "Pitch System",
    "Pitch Motor",
    "Overheating",
    "Pitch drive trips, turbine stops",
    6,
    [
        (
            "High pitch activity in turbulent wind",
            4,
            "Motor temperature sensor read by PLC",
            2,
            "Review pitch controller tuning.",
        ),
        (
            "Blocked motor cooling fins",
            3,
            "Visual inspection during PM",
            4,
            "Clean fins at every 6 month service.",
        ),
    ],
)
g(
    R,
    "Pitch System",
    "Pitch Motor",
    "Motor brake fails to hold",
    "Blade drifts from set angle, aerodynamic imbalance",
    7,
    [
        ("Worn brake lining", 3, "Brake test at annual service", 4, "Replace brake lining at 40,000 h."),
    ],
)
g(
    R,
    "Pitch System",
    "Backup Battery",
    "Insufficient capacity",
    "Blades cannot be pitched to feather on grid loss; rotor overspeed",
    9,
    [
        (
            "Battery ageing",
            5,
            "Automatic battery capacity test weekly by PLC",
            2,
            "Replace battery bank every 4 years regardless of test result.",
        ),
        (
            "High hub temperature accelerating degradation",
            3,
            "Hub temperature sensor",
            4,
            "Improve hub ventilation.",
        ),
        ("Charger fault", 2, "Charger alarm to SCADA", 3, ""),
    ],
)

# ----------------------------------------------------------------- Drivetrain
D = "Drivetrain"
g(
    D,
    "Main Shaft",
    "Main Bearing",
    "Spalling",
    "Vibration, bearing seizure, long downtime; main crane needed for replacement",
    9,
    [
        (
            "Lubrication failure (wrong grease or insufficient quantity)",
            4,
            "CMS vibration monitoring. Grease analysis annually.",
            3,
            "Verify auto-lube volume. Grease sampling every 6 months.",
        ),
        (
            "Axial loads from rotor thrust exceeding design",
            3,
            "CMS vibration monitoring",
            3,
            "Review bearing design with OEM.",
        ),
        (
            "Contamination from failed seal",
            3,
            "Visual inspection of seals at PM",
            5,
            "Replace main bearing seal at 40,000 h.",
        ),
    ],
)
g(
    D,
    "Main Shaft",
    "Main Bearing",
    "Overheating",
    "Grease breakdown, accelerated wear, turbine shutdown on high temperature",
    7,
    [
        (
            "Over-greasing",
            3,
            "Bearing temperature sensor (PT100) to SCADA",
            2,
            "Set auto-lube to OEM volume.",
        ),
        ("Bearing misalignment", 2, "PT100 temperature; CMS", 3, "Laser alignment check at major overhaul."),
    ],
)
g(
    D,
    "Main Shaft",
    "Rotor Lock",
    "Fails to engage",
    "Personnel in hub exposed to rotor rotation - safety critical",
    10,
    [
        (
            "Worn or misaligned lock pin",
            2,
            "Function test before every hub entry",
            2,
            "Replace lock pin at 5-year inspection.",
        ),
        ("Hydraulic actuator fault", 2, "Function test before every hub entry", 2, ""),
    ],
)
g(
    D,
    "Gearbox",
    "Planetary Stage",
    "Gear tooth pitting",
    "Noise, vibration, metal debris in oil, eventual gearbox failure",
    8,
    [
        (
            "Inadequate oil film (low viscosity or high oil temperature)",
            4,
            "CMS vibration; oil particle counter",
            3,
            "Oil analysis every 6 months. Endoscope inspection annually.",
        ),
        ("Misalignment of planet carrier", 2, "CMS vibration", 4, ""),
    ],
)
g(
    D,
    "Gearbox",
    "Planetary Stage",
    "Planet bearing failure",
    "Catastrophic gearbox failure, up-tower gearbox replacement",
    9,
    [
        (
            "Fatigue under overload",
            3,
            "CMS vibration; online debris counter",
            4,
            "Endoscope inspection at 20,000 h.",
        ),
        ("White etching cracks (WEC)", 4, "CMS vibration", 6, "Fit WEC resistant bearings at next overhaul."),
    ],
)
g(
    D,
    "Gearbox",
    "High Speed Stage",
    "Micropitting",
    "Gear noise, progression to macropitting and tooth breakage",
    7,
    [
        ("Low lubricant film thickness", 5, "Oil analysis every 6 months", 5, "Endoscopy at 20,000 h."),
    ],
)
g(
    D,
    "Gearbox",
    "High Speed Stage",
    "HSS bearing failure",
    "Gearbox trip on high temperature, secondary gear damage",
    8,
    [
        (
            "Axial cracking of inner ring (WEC)",
            5,
            "CMS vibration and bearing temperature",
            3,
            "Replace HSS bearings with black oxide coated type.",
        ),
        (
            "Electrical current passage from generator",
            3,
            "None",
            8,
            "Install insulated coupling and shaft grounding brush.",
        ),
    ],
)
g(
    D,
    "Gearbox",
    "Oil Lubrication System",
    "Contamination",
    "Accelerated wear of gears and bearings",
    6,
    [
        (
            "Wear debris from gears and bearings",
            5,
            "Inline filter with differential pressure alarm. Oil sample every 6 months.",
            3,
            "Replace filter element at each 6-month PM.",
        ),
        (
            "Water ingress through breather",
            3,
            "Oil sample analysis (water ppm)",
            4,
            "Fit desiccant breather.",
        ),
        (
            "Oil degradation past service life",
            3,
            "Oil analysis",
            3,
            "Oil change every 3 years or as indicated by analysis.",
        ),
    ],
)
g(
    D,
    "Gearbox",
    "Oil Lubrication System",
    "Low oil pressure",
    "Oil starvation of bearings, gearbox trip",
    8,
    [
        ("Pump motor failure", 2, "Pressure switch to PLC", 2, "Carry spare pump motor on site."),
        ("Blocked filter element", 4, "Filter diff. pressure alarm", 2, ""),
    ],
)
g(
    D,
    "Gearbox",
    "Oil Lubrication System",
    "Overheating",
    "Oil breakdown, gearbox derating",
    6,
    [
        ("Fouled oil cooler", 4, "Oil temp sensor via SCADA", 2, "Clean oil cooler radiator annually."),
        ("Thermostatic valve stuck", 2, "Oil temp sensor via SCADA", 3, ""),
    ],
)
g(
    D,
    "Gearbox",
    "Seals",
    "Leak",
    "Oil loss, oil contamination of nacelle, fire risk",
    5,
    [
        ("Seal lip wear", 5, "Visual inspection at PM", 3, "Replace shaft seals at 40,000 h."),
        ("Shaft surface damage under seal", 2, "Visual inspection at PM", 5, ""),
    ],
)
g(
    D,
    "Mechanical Brake",
    "Brake Disc",
    "Cracking",
    "Reduced braking capacity, disc fragment hazard",
    8,
    [
        (
            "Thermal shock from emergency stops",
            3,
            "Visual inspection annually",
            4,
            "Log emergency stops. Inspect disc after every high-speed e-stop.",
        ),
    ],
)
g(
    D,
    "Mechanical Brake",
    "Brake Caliper",
    "Pad wear",
    "Insufficient braking torque; cannot hold rotor",
    8,
    [
        (
            "Normal wear from braking",
            5,
            "PAD WEAR SENSOR + VISUAL CHECK AT PM",
            2,
            "Replace pads when below 3 mm.",
        ),
        (
            "Contamination of pads with gearbox oil",
            3,
            "Visual inspection at PM",
            4,
            "Fix gearbox seal leaks promptly.",
        ),
    ],
)
g(
    D,
    "Mechanical Brake",
    "Brake Caliper",
    "Leak",
    "Loss of brake pressure, brake fails to apply",
    8,
    [
        ("Worn piston seals", 3, "Hydraulic pressure monitoring", 3, "Replace caliper seals every 5 years."),
    ],
)
g(
    D,
    "Coupling",
    "Flexible Coupling",
    "Misalignment",
    "Vibration, HSS bearing and generator bearing damage",
    6,
    [
        ("Settlement of generator mounts", 4, "CMS vibration", 4, "Laser alignment check every 2 years."),
        ("Incorrect alignment after generator replacement", 3, "Alignment report", 5, ""),
    ],
)
g(
    D,
    "Coupling",
    "Flexible Coupling",
    "Torque limiter slipping",
    "Loss of power transmission, heat damage to coupling",
    5,
    [
        ("Grid fault torque peaks", 3, "Inspect slip marks at PM", 5, "Recalibrate torque limiter."),
    ],
)

# ----------------------------------------------------------------- Nacelle and Yaw
N = "Nacelle and Yaw"
g(
    N,
    "Yaw System",
    "Yaw Drive",
    "Gear tooth breakage",
    "Inability to yaw, turbine stop, misalignment losses",
    7,
    [
        (
            "Overload during yawing in high wind",
            3,
            "Yaw motor current monitoring",
            5,
            "Inspect yaw ring gear teeth annually.",
        ),
        (
            "Poor lubrication of pinion and ring gear",
            4,
            "Visual inspection during PM",
            4,
            "Grease yaw gear every 6 months.",
        ),
    ],
)
g(
    N,
    "Yaw System",
    "Yaw Drive",
    "Overheating",
    "Yaw motor trips, no yaw",
    5,
    [
        ("Frequent yaw corrections in turbulent wind", 3, "Motor thermistor", 2, ""),
        (
            "VFD parameter error",
            2,
            "N/A",
            6,
            "Check VFD settings against OEM list after every software update.",
        ),
    ],
)
g(
    N,
    "Yaw System",
    "Yaw Bearing",
    "Wear",
    "Yaw noise, increased yaw friction; bearing replacement requires rotor removal",
    8,
    [
        (
            "Inadequate lubrication",
            4,
            "Auto-lube. Grease sampling annually.",
            6,
            "Grease sample analysis for wear metals annually.",
        ),
        ("Loose yaw bearing bolts", 3, "Torque check annually", 4, "Re-tension bolts to spec."),
    ],
)
g(
    N,
    "Yaw System",
    "YAW BRAKE",
    "Pad wear",
    "Yaw chatter, nacelle vibration and noise",
    5,
    [
        ("Normal wear", 5, "Visual check at PM", 4, "Replace pads at 20,000 h or when worn."),
        ("Excessive yaw activity", 3, "SCADA yaw counts", 5, ""),
    ],
)
g(
    N,
    "Nacelle Structure",
    "Bedplate",
    "Cracking",
    "Structural failure of drivetrain support",
    9,
    [
        (
            "Fatigue at weld toes",
            2,
            "Visual inspection annually",
            6,
            "MPI NDT of welds at 10-year inspection.",
        ),
    ],
)
g(
    N,
    "Nacelle Structure",
    "Cover Panels",
    "Leak",
    "Water ingress to electrical cabinets, corrosion",
    5,
    [
        (
            "Degraded seals between GRP panels",
            4,
            "Visual inspecton at PM",
            4,
            "Re-seal panel joints every 5 years.",
        ),
        ("Roof hatch left open or not closed properly", 3, "N/A", 6, "Add hatch position switch to SCADA."),
    ],
)
g(
    N,
    "Cooling & Ventilation",
    "Ventilation Fan",
    "Fails to run",
    "Nacelle temperature rises, components derate, turbine power curtailed",
    6,
    [
        (
            "Fan motor bearing failure",
            3,
            "Fan status feedback to PLC",
            2,
            "Replace fan motor bearings at 40,000 h.",
        ),
        ("Contactor or supply fault", 2, "Fan status feedback to PLC", 3, ""),
    ],
)
g(
    N,
    "Cooling & Ventilation",
    "Air Filter",
    "Clogged",
    "Reduced airflow through nacelle, high internal temperatures",
    5,
    [
        (
            "Dust, pollen and insects",
            6,
            "Filter change at each 6 month PM",
            5,
            "Fit differential pressure switch on filter housing.",
        ),
        ("Salt or ice build-up on inlet louvres", 3, "None", 6, ""),
    ],
)
g(
    N,
    "Met Station",
    "Anemometer",
    "Erroneous reading",
    "Wrong start/stop decisions, power curve errors, possible overspeed trip",
    6,
    [
        (
            "Bearing wear in cup anemometer",
            4,
            "Cross-check with neighbouring turbines in SCADA",
            4,
            "Replace anemometer every 2 years.",
        ),
        ("Icing of sensor", 4, "Heated sensor; SCADA plausibility check", 3, ""),
    ],
)
g(
    N,
    "Met Station",
    "Wind Vane",
    "Erroneous reading",
    "Yaw misalignment, energy loss, increased fatigue loads",
    6,
    [
        (
            "Incorrect north alignment after replacement",
            3,
            "None",
            7,
            "Calibrate vane with alignment tool after every replacement.",
        ),
        ("Icing of sensor", 4, "Heated sensor", 4, ""),
    ],
)

# ----------------------------------------------------------------- Electrical System
E = "Electrical System"
g(
    E,
    "Generator",
    "Stator Winding",
    "Insulation breakdown",
    "Short circuit, generator trip, rewind required",
    9,
    [
        (
            "Thermal ageing from high operating temperature",
            3,
            "Winding PT100 temperature monitoring. Insulation resistance test annually.",
            4,
            "Partial discharge test every 2 years.",
        ),
        (
            "Moisture ingress during standstill",
            3,
            "Anti-condensation heaters",
            5,
            "Check heater function at PM.",
        ),
        ("Voltage spikes from converter (dv/dt)", 3, "None", 7, "Fit dv/dt filter at converter output."),
    ],
)
g(
    E,
    "Generator",
    "Stator Winding",
    "Overheating",
    "Derating, accelerated insulation ageing",
    6,
    [
        ("Cooling fan failure", 3, "PT100 temperature alarms", 2, ""),
        ("Blocked air ducts", 3, "Visual inspection", 4, "Clean cooling ducts annually."),
    ],
)
g(
    E,
    "Generator",
    "Generator Bearing",
    "Fluting",
    "Bearing noise and vibration, bearing failure",
    7,
    [
        (
            "Shaft currents through bearing",
            5,
            "CMS vibration",
            4,
            "Install insulated bearings and shaft grounding brush.",
        ),
    ],
)
g(
    E,
    "Generator",
    "Generator Bearing",
    "Wear",
    "Vibration, generator damage",
    7,
    [
        ("Insufficient regreasing", 4, "Auto-lube; CMS vibration", 4, "Regrease per OEM every 6 months."),
    ],
)
g(
    E,
    "Generator",
    "Slip Rings",
    "Arcing / flashover",
    "Slip ring damage, generator trip, fire risk",
    8,
    [
        (
            "Carbon dust accumulation",
            5,
            "Visual inspection at PM",
            5,
            "Vacuum clean slip ring compartment every 6 months.",
        ),
        ("Worn carbon brushes", 4, "Brush wear sensor", 3, "Replace brushes at 8,000 h."),
        ("Wrong brush grade fitted", 2, "None", 8, ""),
    ],
)
g(
    E,
    "Generator",
    "Cooling Fan",
    "Fails to run",
    "Generator overheating, derating",
    6,
    [
        ("Motor bearing failure", 3, "Fan current monitoring", 3, "Replace fan bearings at 40,000 h."),
    ],
)
g(
    E,
    "Power Converter",
    "IGBT Module",
    "Overheating",
    "IGBT failure, converter trip, turbine down",
    8,
    [
        (
            "Coolant pump failure",
            3,
            "Coolant flow and temperature sensors",
            2,
            "Replace coolant pump at 40,000 h.",
        ),
        ("Degraded thermal interface paste", 3, "Module temperature sensor", 4, ""),
    ],
)
g(
    E,
    "Power Converter",
    "IGBT Module",
    "Short circuit failure",
    "Converter destroyed, possible cabinet fire",
    9,
    [
        (
            "Thermal cycling fatigue of bond wires",
            3,
            "None",
            9,
            "Track power cycling counts and replace modules proactively.",
        ),
        ("Grid voltage transients", 2, "Crowbar and chopper protection", 6, ""),
    ],
)
g(
    E,
    "Power Converter",
    "DC Link Capacitor",
    "Capacitance loss",
    "Increased ripple, converter trip",
    6,
    [
        ("Ageing at high temperature", 4, "Converter self-test", 5, "Replace capacitor bank at 10 years."),
    ],
)
g(
    E,
    "Power Converter",
    "Cooling Fan",
    "Fails to run",
    "Converter cabinet overheating, power derating",
    6,
    [
        ("Dust clogged fan", 4, "Fan status feedback", 3, "Clean fans at each PM."),
        ("Motor bearing failure", 3, "Fan status feedback", 3, ""),
    ],
)
g(
    E,
    "Transformer",
    "Windings",
    "Insulation breakdown",
    "Transformer failure, turbine offline for weeks",
    9,
    [
        (
            "Overloading and thermal ageing",
            2,
            "Winding temperature gauge. DGA every 2 years.",
            4,
            "Move to annual DGA oil analysis.",
        ),
        ("Lightning surge", 2, "Surge arresters", 6, ""),
    ],
)
g(
    E,
    "Transformer",
    "Bushings",
    "FLASHOVER",
    "Transformer trip, fire",
    9,
    [
        (
            "Contaminated or cracked porcelain",
            2,
            "Visual inspection annually",
            5,
            "Thermography of bushings annually.",
        ),
    ],
)
g(
    E,
    "Transformer",
    "Bushings",
    "Leak",
    "Oil loss, fire risk, environmental spill",
    6,
    [
        ("Gasket degradation", 3, "Visual inspection annually", 3, "Replace gaskets at 10 years."),
    ],
)
g(
    E,
    "Control System",
    "PLC",
    "Loss of communication",
    "No remote control or monitoring via SCADA; turbine may stop",
    5,
    [
        ("Fibre optic link damage", 3, "SCADA comms alarm", 1, "Keep spare fibre pairs in the tower cable."),
        ("Network switch failure", 3, "SCADA comms alarm", 1, ""),
    ],
)
g(
    E,
    "Control System",
    "PLC",
    "Software fault",
    "Unexpected turbine stops or wrong control action",
    7,
    [
        (
            "Faulty firmware update",
            2,
            "Factory acceptance test of updates",
            6,
            "Test updates on one turbine before fleet rollout.",
        ),
    ],
)
g(
    E,
    "Control System",
    "Overspeed Sensor",
    "Fails to detect overspeed",
    "Rotor overspeed not tripped, possible catastrophic failure",
    10,
    [
        (
            "Sensor damaged or incorrect sensor gap",
            2,
            "Overspeed test annually",
            4,
            "Fit redundant overspeed sensor.",
        ),
    ],
)

# ----------------------------------------------------------------- Tower and Foundation
T = "Tower and Foundation"
g(
    T,
    "Tower",
    "Flange Bolts",
    "Loss of preload",
    "Flange gaping, bolt fatigue fracture, tower collapse risk",
    10,
    [
        (
            "Bolt relaxation after installation",
            4,
            "Bolt torque check at 500 h, then 10% sample annually",
            4,
            "Use ultrasonic bolt load measurement.",
        ),
        ("Vibration", 2, "Bolt torque check at 500 h, then 10% sample annually", 4, ""),
    ],
)
g(
    T,
    "Tower",
    "Flange Bolts",
    "Corrosion",
    "Reduced bolt cross section, fatigue cracking",
    7,
    [
        ("Condensation inside tower", 4, "Visual inspection annually", 5, "Fit corrosion protection caps."),
    ],
)
g(
    T,
    "Tower",
    "Tower Shell",
    "Excessive oscillation",
    "Fatigue damage to tower welds and foundation; turbine trips on nacelle acceleration limit",
    8,
    [
        (
            "Rotor imbalance (pitch angle error or uneven icing)",
            3,
            "Nacelle accelerometer in CMS",
            3,
            "Aerodynamic rotor balancing check every 5 years.",
        ),
        (
            "Operation near tower natural frequency",
            3,
            "Controller frequency exclusion zone",
            4,
            "Verify measured tower frequency against design.",
        ),
        ("Loose flange bolts", 2, "Bolt torque check annually", 4, ""),
    ],
)
g(
    T,
    "Tower",
    "Tower Shell",
    "Weld cracking",
    "Crack growth, tower structural failure",
    10,
    [
        (
            "Fatigue at door opening weld",
            2,
            "Visual inspection annually",
            6,
            "NDT of door frame welds every 5 years.",
        ),
    ],
)
g(
    T,
    "Tower",
    "Tower Shell",
    "Corrosion",
    "Loss of wall thickness, coating failure",
    5,
    [
        ("Coating damage and UV ageing", 4, "Visual inspection annually", 3, "Touch-up coating annually."),
        ("Standing water on door platform", 3, "NONE", 5, ""),
    ],
)
g(
    T,
    "Foundation",
    "Anchor Bolts",
    "Corrosion",
    "Loss of anchorage capacity",
    9,
    [
        (
            "Water ingress into anchor cage through grout cracks",
            3,
            "Visual inspection of foundation annually",
            7,
            "Seal grout cracks. Inspect anchor bolt heads for corossion.",
        ),
    ],
)
g(
    T,
    "Foundation",
    "Anchor Bolts",
    "Loss of preload",
    "Tower movement at base, grout crushing",
    9,
    [
        (
            "Grout creep",
            3,
            "Anchor bolt tension check at 5 years",
            5,
            "Re-tension anchor bolts annually for the first 2 years.",
        ),
    ],
)
g(
    T,
    "Foundation",
    "Grout Joint",
    "Cracking",
    "Loss of load transfer, water ingress, anchor bolt corrosion",
    7,
    [
        ("Cyclic loading", 4, "Visual inspection annually", 4, "Repair with epoxy injection."),
        ("Poor grout installation or curing", 2, "N/A", 6, ""),
    ],
)
g(
    T,
    "Access Systems",
    "Service Lift",
    "Fails to operate",
    "Technicians must climb; maintenance delays",
    3,
    [
        (
            "Wire rope wear",
            4,
            "Annual lift inspection by certified inspector",
            3,
            "Replace wire rope as per inspection.",
        ),
        ("Control or limit switch fault", 3, "Daily function check before use", 2, ""),
    ],
)
g(
    T,
    "Access Systems",
    "Service Lift",
    "Brake failure",
    "Uncontrolled descent, injury to personnel",
    10,
    [
        (
            "Worn lift brake",
            1,
            "Annual lift inspection by certified inspector",
            3,
            "Replace brake at manufacturer interval.",
        ),
    ],
)
g(
    T,
    "Access Systems",
    "Ladder & Fall Arrest",
    "Corrosion",
    "Reduced strength, personnel fall risk",
    8,
    [
        (
            "Condensation inside tower",
            3,
            "Visual check before each climb",
            2,
            "Annual ladder and fall arrest inspection.",
        ),
    ],
)


def build():
    rows = []
    for sub, comp, subc, fm, eff, sev, causes in G:
        for cause, occ, ctrl, det, act in causes:
            rows.append([sub, comp, subc, fm, eff, sev, cause, occ, ctrl, det, sev * occ * det, act])
    return pd.DataFrame(rows, columns=COLUMNS)


if __name__ == "__main__":
    df = build()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    df.to_csv(OUT, index=False, quoting=csv.QUOTE_MINIMAL)
    print(f"wrote {OUT}: {len(df)} rows")
    print(
        df.groupby("Subsystem").agg(
            rows=("RPN", "size"), comps=("Component", "nunique"), subcomps=("Sub-Component", "nunique")
        )
    )
    print(df.groupby(["Subsystem", "Component"])["Sub-Component"].nunique().to_string())
