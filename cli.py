import typer\napp = typer.Typer()
