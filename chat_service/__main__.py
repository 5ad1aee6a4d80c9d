import sys

from chat_service.cli import main

sys.exit(main())
