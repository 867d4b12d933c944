"""The thin command line on top of the stages. Each module here registers the
commands of one stage; heavy imports happen inside the command functions."""
