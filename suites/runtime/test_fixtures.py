"""Consistency of the bundled fixtures that no C test reads: the SAM template that deploys the
conformance probes must define exactly the functions the conformance manifest calls."""

import json
import os
import re
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class ProbeTemplate(unittest.TestCase):
    def test_the_template_deploys_every_function_of_the_conformance_manifest(self):
        with open(os.path.join(ROOT, "fixtures", "cases", "conformance", "lambdacheck.json")) as f:
            manifest = json.load(f)
        with open(os.path.join(ROOT, "fixtures", "functions", "probes", "template.yaml")) as f:
            template = f.read()
        deployed = re.findall(r'FunctionName: !Sub "\$\{AWS::StackName\}-([a-z0-9-]+)"', template)
        handlers = re.findall(r"Handler: (\S+)", template)
        self.assertEqual(sorted(deployed), sorted(manifest["functions"]))
        wanted = [manifest["functions"][name]["handler"] for name in deployed]
        self.assertEqual(handlers, wanted)


if __name__ == "__main__":
    unittest.main()
