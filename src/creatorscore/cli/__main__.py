from creatorscore.cli.main import main

main()
