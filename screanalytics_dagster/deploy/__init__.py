"""Running the system: the commands of its services and `make up` / `make down` on one machine."""
