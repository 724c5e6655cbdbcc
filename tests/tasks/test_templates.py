"""Question texts equal the released dataset text where it is known (data-schema §2)."""

from rewardmap.tasks import (
    counting1_question,
    counting2_question,
    counting3_question,
    long_template_of,
    planning_question,
    torf1_question,
    torf2_question,
)


def test_counting1_matches_readme_example_verbatim():
    expected = ('Please solve the multiple choice problem and put your answer (one of ABCD) in one "\\boxed{}". '
                "According to the subway map, how many intermediate stops are there between Danube Station and "
                "lbn Battuta Station (except for this two stops)? \nA) 8 \nB) 1 \nC) 25 \nD) 12 \n")
    assert counting1_question("Danube Station", "lbn Battuta Station", [8, 1, 25, 12]) == expected


def test_counting2_skeleton_length_matches_viewer_minimum():
    # the viewer's shortest Plus question is 125 characters: the Counting2 text with a 3-character Chinese name
    assert len(counting2_question("九里站")) == 125
    assert counting2_question("X").endswith("how many lines pass through X?")


def test_plus_texts():
    assert counting3_question().endswith("how many subway (metro) lines are there in total?")
    assert torf1_question("A", "B").endswith("is it true that A is the same line as B?")
    assert torf2_question("A", "Line 3").endswith("is it true that A is on the line Line 3?")
    assert '(only answer yes or no) in one "\\boxed{}".' in torf1_question("A", "B")


def test_short_planning_question_is_the_dataset_text():
    expected = ("According to the subway map, how do I get from 石河北海站 to 九里站? Provide only one optimal route, "
                "with only the line name and the departure and arrival stations. The format should be:\n"
                "Route Name: Line 1\nDeparture Stop: 某站\nArrival Stop: 某站\n--\n"
                "Route Name: Line 3\nDeparture Stop: 某站\nArrival Stop: 某站\n"
                "Where each section of the route is separated by two '-'. And if the answer is a direct route "
                "without transfers, there is no need to split the section.")
    assert planning_question("石河北海站", "九里站") == expected
    latin = planning_question("Gold Souq Station", "Union Station")
    assert "Departure Stop: xx Station\n" in latin and "某站" not in latin
    assert len(latin) <= 546  # the Train viewer's longest question


def test_long_templates_are_told_apart_like_the_official_evaluator():
    q1 = planning_question("A Station", "B Station", "long1")
    q2 = planning_question("A Station", "B Station", "long2")
    assert long_template_of(q1) == "long1" and long_template_of(q2) == "long2"
    assert "Number of Via Stops: x\n" in q1 and "Via Stops: xx Station, xx Station\n" in q2
    assert q1.count("\n--\n") == q2.count("\n--\n") == 1
