exports.handler = async () => 'from a subfolder';
