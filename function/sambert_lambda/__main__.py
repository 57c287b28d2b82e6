from sambert_lambda.cli import main

raise SystemExit(main())
