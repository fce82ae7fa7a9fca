class ConfigMissing(Exception):
    pass


raise ConfigMissing("TABLE_NAME is not set")
