from netq.cli import main

main()
