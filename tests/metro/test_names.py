"""The two official cleaners (quirks included) and our canonical matcher."""

from rewardmap.metro.names import canonical_line, canonical_station, clean_eval, clean_reward


def test_clean_reward_quirks_are_reproduced():
    # data-schema §4.2: verified side effects of RewardMap's clean_string
    assert clean_reward("University") == "universityersity"
    assert clean_reward("Technology") == "technologynology"
    assert clean_reward("Metropolitan") == "politan"
    assert clean_reward("西单站（换乘站）") == "西单站"
    assert clean_reward("西单站") == "西单"
    assert clean_reward("Union Station Station") == "union"
    assert clean_reward("Bencoolen Station") == "bencoolen"
    assert clean_reward("创景路站") == "创景路"


def test_clean_eval_keeps_station_and_zhan():
    assert clean_eval("Bencoolen Station") == "bencoolenstation"
    assert clean_eval("创景路站") == "创景路站"
    assert clean_eval("Cathedral Pkwy (110 St) Station") == "cathedralpkwystation"
    assert clean_eval("One-North Station*, Metro") == "onenorthstation"


def test_canonical_station_ignores_presentation():
    assert canonical_station("Union Station Station") == canonical_station("union")
    assert canonical_station("ＢＵＲＪＵＭＡＮ  station") == canonical_station("BurJuman Station")
    assert canonical_station("Marquês de Pombal") == canonical_station("Marques de Pombal Station")
    assert canonical_station("西单") == canonical_station("西单站（换乘站）")
    assert canonical_station("Court St Station(Transfer Station)") == canonical_station("Court St")
    assert canonical_station("Alpha") != canonical_station("Alpha North")


def test_canonical_line_aliases():
    assert canonical_line("Line 1") == canonical_line("Route 1") == canonical_line("1") == canonical_line("1号线")
    assert canonical_line("Metro Line 7") == canonical_line("Line 7")
    assert canonical_line("Red Line") == canonical_line("red")
    assert canonical_line("房山线") == canonical_line("房山")
    assert canonical_line("Line 1") != canonical_line("Line 10")
