from gezinsplan.cli import main

main()
