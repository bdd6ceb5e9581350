"""Time zones of the places carriers name, to read the local times some of them give without offset.

Carriers that document local times (UPS activities, USPS events, AfterShip checkpoints and estimates ...)
say where, not at which offset, when the offset is missing. ``zone_for(country, state)`` gives the IANA
zone of that place when one can be determined without guessing:

- a country observing a single UTC offset pattern (checked against tzdata's ``zone.tab``: every zone
  listed for the country has the same offsets all year round, see ``test_timezones``). China is listed
  too: it has one legal time zone (tzdata's ``Asia/Urumqi`` is Xinjiang's unofficial local usage);
- in the United States, Canada, Australia, Brazil and Mexico, a state or province from the tables
  below (ISO 3166-2 codes, the two-letter codes carriers use). A state split between zones maps to
  the zone most of its people live in (e.g. TX to Central, FL to Eastern); provinces split almost
  evenly (Nunavut, Chihuahua) are left out;
- anything else (other multi-zone countries such as Russia, Indonesia, Spain, Portugal; unknown codes)
  gives None: the caller then keeps the time as UTC and says so.

Countries are accepted as ISO 3166-1 alpha-2 or alpha-3 codes (AfterShip uses alpha-3).
"""

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# alpha-2: (alpha-3, zone), generated from tzdata zone.tab (single-offset countries); the alpha-3
# codes are ISO 3166-1's current ones (checked against Debian's iso-codes, see ``test_timezones``:
# CLDR's alias table gave withdrawn codes for Germany, Myanmar and Yemen, DDR, BUR and YMD).
SINGLE_ZONE_COUNTRIES = {
    "AD": ("AND", "Europe/Andorra"),
    "AE": ("ARE", "Asia/Dubai"),
    "AF": ("AFG", "Asia/Kabul"),
    "AG": ("ATG", "America/Antigua"),
    "AI": ("AIA", "America/Anguilla"),
    "AL": ("ALB", "Europe/Tirane"),
    "AM": ("ARM", "Asia/Yerevan"),
    "AO": ("AGO", "Africa/Luanda"),
    "AR": ("ARG", "America/Argentina/Buenos_Aires"),
    "AS": ("ASM", "Pacific/Pago_Pago"),
    "AT": ("AUT", "Europe/Vienna"),
    "AW": ("ABW", "America/Aruba"),
    "AX": ("ALA", "Europe/Mariehamn"),
    "AZ": ("AZE", "Asia/Baku"),
    "BA": ("BIH", "Europe/Sarajevo"),
    "BB": ("BRB", "America/Barbados"),
    "BD": ("BGD", "Asia/Dhaka"),
    "BE": ("BEL", "Europe/Brussels"),
    "BF": ("BFA", "Africa/Ouagadougou"),
    "BG": ("BGR", "Europe/Sofia"),
    "BH": ("BHR", "Asia/Bahrain"),
    "BI": ("BDI", "Africa/Bujumbura"),
    "BJ": ("BEN", "Africa/Porto-Novo"),
    "BL": ("BLM", "America/St_Barthelemy"),
    "BM": ("BMU", "Atlantic/Bermuda"),
    "BN": ("BRN", "Asia/Brunei"),
    "BO": ("BOL", "America/La_Paz"),
    "BQ": ("BES", "America/Kralendijk"),
    "BS": ("BHS", "America/Nassau"),
    "BT": ("BTN", "Asia/Thimphu"),
    "BW": ("BWA", "Africa/Gaborone"),
    "BY": ("BLR", "Europe/Minsk"),
    "BZ": ("BLZ", "America/Belize"),
    "CC": ("CCK", "Indian/Cocos"),
    "CF": ("CAF", "Africa/Bangui"),
    "CG": ("COG", "Africa/Brazzaville"),
    "CH": ("CHE", "Europe/Zurich"),
    "CI": ("CIV", "Africa/Abidjan"),
    "CK": ("COK", "Pacific/Rarotonga"),
    "CM": ("CMR", "Africa/Douala"),
    "CN": ("CHN", "Asia/Shanghai"),
    "CO": ("COL", "America/Bogota"),
    "CR": ("CRI", "America/Costa_Rica"),
    "CU": ("CUB", "America/Havana"),
    "CV": ("CPV", "Atlantic/Cape_Verde"),
    "CW": ("CUW", "America/Curacao"),
    "CX": ("CXR", "Indian/Christmas"),
    "CY": ("CYP", "Asia/Nicosia"),
    "CZ": ("CZE", "Europe/Prague"),
    "DE": ("DEU", "Europe/Berlin"),
    "DJ": ("DJI", "Africa/Djibouti"),
    "DK": ("DNK", "Europe/Copenhagen"),
    "DM": ("DMA", "America/Dominica"),
    "DO": ("DOM", "America/Santo_Domingo"),
    "DZ": ("DZA", "Africa/Algiers"),
    "EE": ("EST", "Europe/Tallinn"),
    "EG": ("EGY", "Africa/Cairo"),
    "EH": ("ESH", "Africa/El_Aaiun"),
    "ER": ("ERI", "Africa/Asmara"),
    "ET": ("ETH", "Africa/Addis_Ababa"),
    "FI": ("FIN", "Europe/Helsinki"),
    "FJ": ("FJI", "Pacific/Fiji"),
    "FK": ("FLK", "Atlantic/Stanley"),
    "FO": ("FRO", "Atlantic/Faroe"),
    "FR": ("FRA", "Europe/Paris"),
    "GA": ("GAB", "Africa/Libreville"),
    "GB": ("GBR", "Europe/London"),
    "GD": ("GRD", "America/Grenada"),
    "GE": ("GEO", "Asia/Tbilisi"),
    "GF": ("GUF", "America/Cayenne"),
    "GG": ("GGY", "Europe/Guernsey"),
    "GH": ("GHA", "Africa/Accra"),
    "GI": ("GIB", "Europe/Gibraltar"),
    "GM": ("GMB", "Africa/Banjul"),
    "GN": ("GIN", "Africa/Conakry"),
    "GP": ("GLP", "America/Guadeloupe"),
    "GQ": ("GNQ", "Africa/Malabo"),
    "GR": ("GRC", "Europe/Athens"),
    "GS": ("SGS", "Atlantic/South_Georgia"),
    "GT": ("GTM", "America/Guatemala"),
    "GU": ("GUM", "Pacific/Guam"),
    "GW": ("GNB", "Africa/Bissau"),
    "GY": ("GUY", "America/Guyana"),
    "HK": ("HKG", "Asia/Hong_Kong"),
    "HN": ("HND", "America/Tegucigalpa"),
    "HR": ("HRV", "Europe/Zagreb"),
    "HT": ("HTI", "America/Port-au-Prince"),
    "HU": ("HUN", "Europe/Budapest"),
    "IE": ("IRL", "Europe/Dublin"),
    "IL": ("ISR", "Asia/Jerusalem"),
    "IM": ("IMN", "Europe/Isle_of_Man"),
    "IN": ("IND", "Asia/Kolkata"),
    "IO": ("IOT", "Indian/Chagos"),
    "IQ": ("IRQ", "Asia/Baghdad"),
    "IR": ("IRN", "Asia/Tehran"),
    "IS": ("ISL", "Atlantic/Reykjavik"),
    "IT": ("ITA", "Europe/Rome"),
    "JE": ("JEY", "Europe/Jersey"),
    "JM": ("JAM", "America/Jamaica"),
    "JO": ("JOR", "Asia/Amman"),
    "JP": ("JPN", "Asia/Tokyo"),
    "KE": ("KEN", "Africa/Nairobi"),
    "KG": ("KGZ", "Asia/Bishkek"),
    "KH": ("KHM", "Asia/Phnom_Penh"),
    "KM": ("COM", "Indian/Comoro"),
    "KN": ("KNA", "America/St_Kitts"),
    "KP": ("PRK", "Asia/Pyongyang"),
    "KR": ("KOR", "Asia/Seoul"),
    "KW": ("KWT", "Asia/Kuwait"),
    "KY": ("CYM", "America/Cayman"),
    "LA": ("LAO", "Asia/Vientiane"),
    "LB": ("LBN", "Asia/Beirut"),
    "LC": ("LCA", "America/St_Lucia"),
    "LI": ("LIE", "Europe/Vaduz"),
    "LK": ("LKA", "Asia/Colombo"),
    "LR": ("LBR", "Africa/Monrovia"),
    "LS": ("LSO", "Africa/Maseru"),
    "LT": ("LTU", "Europe/Vilnius"),
    "LU": ("LUX", "Europe/Luxembourg"),
    "LV": ("LVA", "Europe/Riga"),
    "LY": ("LBY", "Africa/Tripoli"),
    "MA": ("MAR", "Africa/Casablanca"),
    "MC": ("MCO", "Europe/Monaco"),
    "MD": ("MDA", "Europe/Chisinau"),
    "ME": ("MNE", "Europe/Podgorica"),
    "MF": ("MAF", "America/Marigot"),
    "MG": ("MDG", "Indian/Antananarivo"),
    "MH": ("MHL", "Pacific/Majuro"),
    "MK": ("MKD", "Europe/Skopje"),
    "ML": ("MLI", "Africa/Bamako"),
    "MM": ("MMR", "Asia/Yangon"),
    "MO": ("MAC", "Asia/Macau"),
    "MP": ("MNP", "Pacific/Saipan"),
    "MQ": ("MTQ", "America/Martinique"),
    "MR": ("MRT", "Africa/Nouakchott"),
    "MS": ("MSR", "America/Montserrat"),
    "MT": ("MLT", "Europe/Malta"),
    "MU": ("MUS", "Indian/Mauritius"),
    "MV": ("MDV", "Indian/Maldives"),
    "MW": ("MWI", "Africa/Blantyre"),
    "MY": ("MYS", "Asia/Kuala_Lumpur"),
    "MZ": ("MOZ", "Africa/Maputo"),
    "NA": ("NAM", "Africa/Windhoek"),
    "NC": ("NCL", "Pacific/Noumea"),
    "NE": ("NER", "Africa/Niamey"),
    "NF": ("NFK", "Pacific/Norfolk"),
    "NG": ("NGA", "Africa/Lagos"),
    "NI": ("NIC", "America/Managua"),
    "NL": ("NLD", "Europe/Amsterdam"),
    "NO": ("NOR", "Europe/Oslo"),
    "NP": ("NPL", "Asia/Kathmandu"),
    "NR": ("NRU", "Pacific/Nauru"),
    "NU": ("NIU", "Pacific/Niue"),
    "OM": ("OMN", "Asia/Muscat"),
    "PA": ("PAN", "America/Panama"),
    "PE": ("PER", "America/Lima"),
    "PH": ("PHL", "Asia/Manila"),
    "PK": ("PAK", "Asia/Karachi"),
    "PL": ("POL", "Europe/Warsaw"),
    "PM": ("SPM", "America/Miquelon"),
    "PN": ("PCN", "Pacific/Pitcairn"),
    "PR": ("PRI", "America/Puerto_Rico"),
    "PS": ("PSE", "Asia/Gaza"),
    "PW": ("PLW", "Pacific/Palau"),
    "PY": ("PRY", "America/Asuncion"),
    "QA": ("QAT", "Asia/Qatar"),
    "RE": ("REU", "Indian/Reunion"),
    "RO": ("ROU", "Europe/Bucharest"),
    "RS": ("SRB", "Europe/Belgrade"),
    "RW": ("RWA", "Africa/Kigali"),
    "SA": ("SAU", "Asia/Riyadh"),
    "SB": ("SLB", "Pacific/Guadalcanal"),
    "SC": ("SYC", "Indian/Mahe"),
    "SD": ("SDN", "Africa/Khartoum"),
    "SE": ("SWE", "Europe/Stockholm"),
    "SG": ("SGP", "Asia/Singapore"),
    "SH": ("SHN", "Atlantic/St_Helena"),
    "SI": ("SVN", "Europe/Ljubljana"),
    "SJ": ("SJM", "Arctic/Longyearbyen"),
    "SK": ("SVK", "Europe/Bratislava"),
    "SL": ("SLE", "Africa/Freetown"),
    "SM": ("SMR", "Europe/San_Marino"),
    "SN": ("SEN", "Africa/Dakar"),
    "SO": ("SOM", "Africa/Mogadishu"),
    "SR": ("SUR", "America/Paramaribo"),
    "SS": ("SSD", "Africa/Juba"),
    "ST": ("STP", "Africa/Sao_Tome"),
    "SV": ("SLV", "America/El_Salvador"),
    "SX": ("SXM", "America/Lower_Princes"),
    "SY": ("SYR", "Asia/Damascus"),
    "SZ": ("SWZ", "Africa/Mbabane"),
    "TC": ("TCA", "America/Grand_Turk"),
    "TD": ("TCD", "Africa/Ndjamena"),
    "TF": ("ATF", "Indian/Kerguelen"),
    "TG": ("TGO", "Africa/Lome"),
    "TH": ("THA", "Asia/Bangkok"),
    "TJ": ("TJK", "Asia/Dushanbe"),
    "TK": ("TKL", "Pacific/Fakaofo"),
    "TL": ("TLS", "Asia/Dili"),
    "TM": ("TKM", "Asia/Ashgabat"),
    "TN": ("TUN", "Africa/Tunis"),
    "TO": ("TON", "Pacific/Tongatapu"),
    "TR": ("TUR", "Europe/Istanbul"),
    "TT": ("TTO", "America/Port_of_Spain"),
    "TV": ("TUV", "Pacific/Funafuti"),
    "TW": ("TWN", "Asia/Taipei"),
    "TZ": ("TZA", "Africa/Dar_es_Salaam"),
    "UG": ("UGA", "Africa/Kampala"),
    "UY": ("URY", "America/Montevideo"),
    "UZ": ("UZB", "Asia/Samarkand"),
    "VA": ("VAT", "Europe/Vatican"),
    "VC": ("VCT", "America/St_Vincent"),
    "VE": ("VEN", "America/Caracas"),
    "VG": ("VGB", "America/Tortola"),
    "VI": ("VIR", "America/St_Thomas"),
    "VN": ("VNM", "Asia/Ho_Chi_Minh"),
    "VU": ("VUT", "Pacific/Efate"),
    "WF": ("WLF", "Pacific/Wallis"),
    "WS": ("WSM", "Pacific/Apia"),
    "YE": ("YEM", "Asia/Aden"),
    "YT": ("MYT", "Indian/Mayotte"),
    "ZA": ("ZAF", "Africa/Johannesburg"),
    "ZM": ("ZMB", "Africa/Lusaka"),
    "ZW": ("ZWE", "Africa/Harare"),
}
ALPHA3 = {alpha3: alpha2 for alpha2, (alpha3, _zone) in SINGLE_ZONE_COUNTRIES.items()}
ALPHA3.update({"USA": "US", "CAN": "CA", "AUS": "AU", "BRA": "BR", "MEX": "MX"})

_EASTERN, _CENTRAL, _MOUNTAIN, _PACIFIC = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
US_STATES = {
    **dict.fromkeys(["CT", "DC", "DE", "FL", "GA", "KY", "MA", "MD", "ME", "NC", "NH", "NJ", "NY"], _EASTERN),
    **dict.fromkeys(["OH", "PA", "RI", "SC", "VA", "VT", "WV"], _EASTERN),
    **dict.fromkeys(["AL", "AR", "IA", "IL", "KS", "LA", "MN", "MO", "MS", "ND", "NE", "OK", "SD", "TN"], _CENTRAL),
    **dict.fromkeys(["TX", "WI"], _CENTRAL),
    **dict.fromkeys(["CO", "MT", "NM", "UT", "WY"], _MOUNTAIN),
    **dict.fromkeys(["CA", "NV", "OR", "WA"], _PACIFIC),
    "AK": "America/Anchorage",
    "AZ": "America/Phoenix",
    "HI": "Pacific/Honolulu",
    "ID": "America/Boise",
    "IN": "America/Indiana/Indianapolis",
    "MI": "America/Detroit",
    # Territories USPS and UPS report as states.
    "AS": "Pacific/Pago_Pago",
    "GU": "Pacific/Guam",
    "MP": "Pacific/Saipan",
    "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas",
}
CA_PROVINCES = {
    "AB": "America/Edmonton",
    "BC": "America/Vancouver",
    "MB": "America/Winnipeg",
    "NB": "America/Moncton",
    "NL": "America/St_Johns",
    "NS": "America/Halifax",
    "NT": "America/Yellowknife",
    "ON": "America/Toronto",
    "PE": "America/Halifax",
    "QC": "America/Toronto",
    "SK": "America/Regina",
    "YT": "America/Whitehorse",
}
AU_STATES = {
    "ACT": "Australia/Sydney",
    "NSW": "Australia/Sydney",
    "NT": "Australia/Darwin",
    "QLD": "Australia/Brisbane",
    "SA": "Australia/Adelaide",
    "TAS": "Australia/Hobart",
    "VIC": "Australia/Melbourne",
    "WA": "Australia/Perth",
}
BR_STATES = {
    **dict.fromkeys(["DF", "ES", "GO", "MG", "PR", "RJ", "RS", "SC", "SP"], "America/Sao_Paulo"),
    **dict.fromkeys(["CE", "MA", "PB", "PI", "RN"], "America/Fortaleza"),
    **dict.fromkeys(["AL", "SE"], "America/Maceio"),
    **dict.fromkeys(["AP", "PA"], "America/Belem"),
    "AC": "America/Rio_Branco",
    "AM": "America/Manaus",
    "BA": "America/Bahia",
    "MS": "America/Campo_Grande",
    "MT": "America/Cuiaba",
    "PE": "America/Recife",
    "RO": "America/Porto_Velho",
    "RR": "America/Boa_Vista",
    "TO": "America/Araguaina",
}
# ISO 3166-2:MX codes and the two-letter abbreviations FedEx and UPS use. Chihuahua is left out: Ciudad
# Juarez (America/Ciudad_Juarez) and the rest of the state keep different offsets.
_MX_CENTRAL = "America/Mexico_City"
MX_STATES = {
    **{
        code: _MX_CENTRAL
        for code in (
            "AGU AG CMX DF COA CO COL CL DUR DG GUA GT GRO GR HID HG JAL JA MEX EM MIC MI MOR MO NLE NL OAX OA "
            "PUE PU QUE QT SLP SL TAB TB TAM TM TLA TL VER VE ZAC ZA CAM CM CHP CS YUC YU"
        ).split()
    },
    **dict.fromkeys(["BCN", "BC"], "America/Tijuana"),
    **dict.fromkeys(["BCS", "BS", "NAY", "NA", "SIN", "SI"], "America/Mazatlan"),
    **dict.fromkeys(["SON", "SO"], "America/Hermosillo"),
    **dict.fromkeys(["ROO", "QR"], "America/Cancun"),
}
STATE_ZONES = {"US": US_STATES, "CA": CA_PROVINCES, "AU": AU_STATES, "BR": BR_STATES, "MX": MX_STATES}


def country_code(country):
    """ISO alpha-2 code of an alpha-2 or alpha-3 code, upper case; "" when unknown or empty."""
    code = str(country or "").strip().upper()
    if len(code) == 3:
        return ALPHA3.get(code, "")
    return code if len(code) == 2 else ""


@lru_cache(maxsize=512)
def zone_for(country, state=None):
    """The ``ZoneInfo`` of a place, or None when it cannot be determined (see the module doc)."""
    code = country_code(country)
    if code in STATE_ZONES:
        region = str(state or "").strip().upper()
        name = STATE_ZONES[code].get(region.split("-")[-1])  # "US-TX" or "TX"
    else:
        name = (SINGLE_ZONE_COUNTRIES.get(code) or (None, None))[1]
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # a system without tzdata: keep UTC
        return None
