"""The hand-made toy city every test folder shares: a transfer hub, a branch, a closed loop.

``tests/`` is on ``sys.path`` during a test run (pytest inserts the folder of the root ``conftest.py``), so test
modules import it as ``from toy_city import TOY_LINES, TOY_BRANCH_ARMS``.
"""

#: Line 2 forks at Golf: one arm Hotel → India, the other arm Juliet → Kilo (appended later in the list); the Circle
#: Line repeats its first station at the end (a closed loop).
TOY_LINES = {
    "Line 1": ["Alpha Station", "Bravo Station (Transfer Station)", "Charlie Station", "Delta Station (Transfer Station)",
               "Echo Station"],
    "Line 2": ["Foxtrot Station", "Bravo Station (Transfer Station)", "Golf Station (Branch-starting Station)",
               "Hotel Station", "India Station", "Juliet Station", "Kilo Station"],
    "Circle Line": ["Delta Station (Transfer Station)", "Lima Station", "Mike Station", "Juliet Station",
                    "November Station", "Delta Station (Transfer Station)"],
}
TOY_BRANCH_ARMS = {"Line 2": "Juliet Station"}
