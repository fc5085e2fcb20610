"""Entry script for spark-submit (absolute imports, so it can run as a plain file):

    spark-submit ... $(python -c 'import zhengdun.screening.engine.spark_submit as m; print(m.__file__)') \
        screen DATA_DIR --out HITS.csv --engine spark
"""

import sys

from zhengdun.screening.engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
