"""The pages' forms, a module per part of the site. They parse and validate what was typed; the services
decide and write."""
