import unittest

from calc.evaluate import evaluate


class EvaluateTest(unittest.TestCase):
    def test_subtract(self):
        self.assertEqual(evaluate("5 - 3"), 2)
