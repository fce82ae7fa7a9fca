console.log('printed at init');
exports.handler = async () => 'after init output';
