exports.handler = async () => { return 'never' ;
