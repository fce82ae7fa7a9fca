module.exports.handler = async () => 'from a .cjs file';
