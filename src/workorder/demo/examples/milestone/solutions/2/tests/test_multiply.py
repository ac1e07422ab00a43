import unittest

from calc.ops import multiply


class MultiplyTest(unittest.TestCase):
    def test_multiply(self):
        self.assertEqual(multiply(4, 3), 12)
